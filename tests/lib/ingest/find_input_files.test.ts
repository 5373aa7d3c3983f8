import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { findInputFiles, globToRegExp } from "../../../lib/ingest/find_input_files.ts";
import { UsageError } from "../../../lib/errors.ts";

let dir: string;
beforeAll(async () => {
  dir = await Deno.makeTempDir({ prefix: "ingest-inputs-" });
  for (
    const f of ["a.md", "b.txt", "c.pdf", "sub/d.md", "sub/deep/e.csv", ".hidden/f.md", "sub/.g.md"]
  ) {
    await Deno.mkdir(join(dir, f, ".."), { recursive: true });
    await Deno.writeTextFile(join(dir, f), "x");
  }
});
afterAll(async () => {
  await Deno.remove(dir, { recursive: true });
});

describe("findInputFiles", () => {
  it("walks a folder, skipping hidden entries and listing unsupported types apart", async () => {
    const found = await findInputFiles(dir);
    expect(found.files).toEqual(
      ["a.md", "b.txt", "sub/d.md", "sub/deep/e.csv"].map((f) => join(dir, f)),
    );
    expect(found.unsupported).toEqual([join(dir, "c.pdf")]);
  });

  it("expands globs with * and ** relative to the working directory", async () => {
    expect((await findInputFiles("*.md", dir)).files).toEqual([join(dir, "a.md")]);
    expect((await findInputFiles("**/*.md", dir)).files).toEqual(
      [join(dir, "a.md"), join(dir, "sub/d.md")],
    );
    expect(
      (await findInputFiles(`${dir}/sub/**/*.{csv,md}`.replace("{csv,md}", "[cm]*"), dir)).files,
    )
      .toEqual([join(dir, "sub/d.md"), join(dir, "sub/deep/e.csv")]);
  });

  it("refuses a path that does not exist and a glob that matches nothing", async () => {
    await expect(findInputFiles(join(dir, "nope"))).rejects.toBeInstanceOf(UsageError);
    await expect(findInputFiles("*.json", dir)).rejects.toThrow(/no file matches/);
  });

  it("translates globs: * stays within a folder, ** crosses them", () => {
    expect(globToRegExp("*.md").test("a.md")).toBe(true);
    expect(globToRegExp("*.md").test("x/a.md")).toBe(false);
    expect(globToRegExp("**/*.md").test("a.md")).toBe(true);
    expect(globToRegExp("**/*.md").test("x/y/a.md")).toBe(true);
    expect(globToRegExp("file?.txt").test("file1.txt")).toBe(true);
    expect(globToRegExp("a.b").test("axb")).toBe(false);
  });
});
