import { describe, expect, it } from "vitest";
import { Redactor } from "../../../lib/output/redactor.ts";

describe("redactor", () => {
  it("replaces every occurrence of a registered secret", () => {
    const r = new Redactor();
    r.add("s3cret-value");
    expect(r.redact("password=s3cret-value and again s3cret-value")).toBe(
      "password=*** and again ***",
    );
  });

  it("redacts strings nested in JSON values without changing other data", () => {
    const r = new Redactor();
    r.add("hunter22");
    const value = { a: "x hunter22 y", list: ["hunter22"], n: 3, ok: true };
    expect(r.redactValue(value)).toEqual({ a: "x *** y", list: ["***"], n: 3, ok: true });
  });

  it("ignores values too short to redact safely", () => {
    const r = new Redactor();
    r.add("ab");
    expect(r.redact("abc")).toBe("abc");
  });
});
