import { describe, expect, it } from "vitest";
import { editDistance, suggest } from "../../lib/suggest.ts";

describe("suggest", () => {
  it("finds the closest task id for a typo", () => {
    expect(suggest("postgress:start", ["postgres:start", "redis:start", "status"])).toBe(
      "postgres:start",
    );
    expect(suggest("stauts", ["status", "up", "down"])).toBe("status");
  });

  it("suggests nothing for an unrelated word", () => {
    expect(suggest("deploy-the-moon", ["status", "up", "down"])).toBeUndefined();
  });

  it("measures edit distance", () => {
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
  });
});
