import { describe, expect, it } from "vitest";
import { compileLogFilter, highlightSegments, matchesFilter } from "../../tui/log_filter.ts";
import { logWindow, scrollAnchor } from "../../tui/log_window.ts";

describe("log filter", () => {
  it("is case-insensitive unless the pattern has an upper-case letter", () => {
    expect(matchesFilter(compileLogFilter("error"), "ERROR: disk full")).toBe(true);
    expect(matchesFilter(compileLogFilter("Error"), "ERROR: disk full")).toBe(false);
    expect(matchesFilter(compileLogFilter("Error"), "Error: disk full")).toBe(true);
  });

  it("treats invalid regex syntax as literal text instead of failing", () => {
    const filter = compileLogFilter("conn(");
    expect(filter.literal).toBe(true);
    expect(matchesFilter(filter, "lost conn( retrying")).toBe(true);
    expect(matchesFilter(filter, "lost connection")).toBe(false);
  });

  it("splits a line into highlighted matches, and survives patterns that match empty text", () => {
    expect(highlightSegments(compileLogFilter("o+"), "foo bar boo")).toEqual([
      { text: "f", match: false },
      { text: "oo", match: true },
      { text: " bar b", match: false },
      { text: "oo", match: true },
    ]);
    expect(highlightSegments(compileLogFilter("x*"), "abc").map((s) => s.text).join("")).toBe(
      "abc",
    );
    expect(highlightSegments(compileLogFilter(""), "abc")).toEqual([{ text: "abc", match: false }]);
  });
});

describe("log window", () => {
  const lines = Array.from({ length: 50 }, (_, i) => ({
    seq: i + 1,
    service: "web",
    text: i % 10 === 0 ? `error ${i}` : `ok ${i}`,
  }));
  const none = compileLogFilter("");

  it("ends at the newest line while following and at the anchor otherwise", () => {
    const layout = { width: 80, height: 5, wrap: false, prefixWidth: 0 };
    const following = logWindow(lines, none, { follow: true, anchor: null }, layout);
    expect(following.visible.map((l) => l.seq)).toEqual([46, 47, 48, 49, 50]);
    const anchored = logWindow(lines, none, { follow: false, anchor: 20 }, layout);
    expect(anchored.visible.map((l) => l.seq)).toEqual([16, 17, 18, 19, 20]);
  });

  it("counts wrapped rows so the view never overflows", () => {
    const long = [{ seq: 1, service: "a", text: "x".repeat(100) }, {
      seq: 2,
      service: "a",
      text: "y",
    }];
    const window = logWindow(long, none, { follow: true, anchor: null }, {
      width: 40,
      height: 3,
      wrap: true,
      prefixWidth: 0,
    });
    // the long line takes 3 rows: only the short one fits below it
    expect(window.visible.map((l) => l.seq)).toEqual([2]);
  });

  it("scrolls among matching lines and returns to following at the bottom", () => {
    const errors = compileLogFilter("error");
    const up = scrollAnchor(lines, errors, { follow: true, anchor: null }, -1, 2);
    expect(up).toBe(31);
    expect(scrollAnchor(lines, errors, { follow: false, anchor: 31 }, 1, 2)).toBeNull();
    // never scrolls so far up that the view is half empty
    expect(scrollAnchor(lines, errors, { follow: false, anchor: 31 }, -10, 2)).toBe(11);
  });
});
