import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { findInputFiles } from "../../../lib/ingest/find_input_files.ts";
import type { InputBoundary } from "../../../lib/ingest/input_roots.ts";
import { UsageError } from "../../../lib/errors.ts";

let dir: string;
let cases: string;
let outside: string;
let boundary: InputBoundary;

async function mkfifo(path: string): Promise<void> {
  const { code } = await new Deno.Command("mkfifo", { args: [path] }).output();
  expect(code).toBe(0);
}

beforeAll(async () => {
  const top = await Deno.realPath(await Deno.makeTempDir({ prefix: "ingest-inputs-" }));
  dir = join(top, "root");
  outside = join(top, "outside");
  cases = join(top, "cases");
  for (
    const f of ["a.md", "b.txt", "c.pdf", "sub/d.md", "sub/deep/e.csv", ".hidden/f.md", "sub/.g.md"]
  ) {
    await Deno.mkdir(join(dir, f, ".."), { recursive: true });
    await Deno.writeTextFile(join(dir, f), "x");
  }
  await Deno.mkdir(join(outside, "folder"), { recursive: true });
  await Deno.writeTextFile(join(outside, "secret.md"), "secret");
  await Deno.writeTextFile(join(outside, "folder", "inner.md"), "secret");
  await Deno.mkdir(join(top, "state", "secrets"), { recursive: true });
  await Deno.writeTextFile(join(top, "state", "secrets", "redis-password"), "pw");
  boundary = {
    roots: [dir, cases],
    stateDir: join(top, "state"),
    secretsDir: join(top, "state", "secrets"),
    backupDir: join(top, "backups"),
  };
});
afterAll(async () => {
  await Deno.remove(join(dir, ".."), { recursive: true });
});

/** A folder inside the second root holding `files` (name → content, or a link target with `->`). */
async function folder(name: string, files: Record<string, string>): Promise<string> {
  const path = join(cases, name);
  await Deno.mkdir(path, { recursive: true });
  for (const [file, content] of Object.entries(files)) {
    if (content.startsWith("->")) await Deno.symlink(content.slice(2), join(path, file));
    else await Deno.writeTextFile(join(path, file), content);
  }
  return path;
}

describe("findInputFiles", () => {
  it("walks a folder, skipping hidden entries and listing unsupported types apart", async () => {
    const found = await findInputFiles(dir, boundary);
    expect(found.files).toEqual(
      ["a.md", "b.txt", "sub/d.md", "sub/deep/e.csv"].map((f) => join(dir, f)),
    );
    expect(found.unsupported).toEqual([join(dir, "c.pdf")]);
    expect(found.refused).toEqual([]);
  });

  it("expands globs with *, ** and braces relative to the working directory", async () => {
    expect((await findInputFiles("*.md", boundary, dir)).files).toEqual([join(dir, "a.md")]);
    expect((await findInputFiles("sub/*.md", boundary, dir)).files).toEqual(
      [join(dir, "sub/d.md")],
    );
    expect((await findInputFiles("**/*.md", boundary, dir)).files).toEqual(
      [join(dir, "a.md"), join(dir, "sub/d.md")],
    );
    expect((await findInputFiles(`${dir}/sub/**/*.{csv,md}`, boundary, dir)).files)
      .toEqual([join(dir, "sub/d.md"), join(dir, "sub/deep/e.csv")]);
    expect((await findInputFiles("?.txt", boundary, dir)).files).toEqual([join(dir, "b.txt")]);
  });

  it("refuses a path that does not exist and a glob that matches nothing", async () => {
    await expect(findInputFiles(join(dir, "nope"), boundary)).rejects.toBeInstanceOf(UsageError);
    await expect(findInputFiles("*.json", boundary, dir)).rejects.toThrow(/no file matches/);
  });

  it("takes a path with glob characters in its name as itself when it exists", async () => {
    const odd = await folder("notes (old)", { "x.md": "x" });
    expect((await findInputFiles(odd, boundary)).files).toEqual([join(odd, "x.md")]);
  });
});

describe("findInputFiles with links and special files", () => {
  it("refuses a link to a file outside the roots given directly, naming its target", async () => {
    const f = await folder("direct", { "link.md": `->${join(outside, "secret.md")}` });
    const found = await findInputFiles(join(f, "link.md"), boundary);
    expect(found.files).toEqual([]);
    expect(found.refused).toEqual([
      `${join(f, "link.md")} (resolves to ${
        join(outside, "secret.md")
      }): outside the input roots (${dir}, ${cases})`,
    ]);
  });

  it("refuses a link inside a folder and lists the folder's own files apart", async () => {
    const f = await folder("walk", { "ok.md": "ok", "link.md": `->${join(outside, "secret.md")}` });
    const found = await findInputFiles(f, boundary);
    expect(found.files).toEqual([join(f, "ok.md")]);
    expect(found.refused).toHaveLength(1);
    expect(found.refused[0]).toMatch(/link\.md \(resolves to .*secret\.md\): outside the input/);
  });

  it("refuses a link matched by a glob, and ignores one the glob does not match", async () => {
    const f = await folder("glob", {
      "ok.md": "ok",
      "link.md": `->${join(outside, "secret.md")}`,
      "other.txt": `->${join(outside, "secret.md")}`,
    });
    const found = await findInputFiles(join(f, "*.md"), boundary);
    expect(found.files).toEqual([join(f, "ok.md")]);
    expect(found.refused).toHaveLength(1);
    expect(found.refused[0]).toContain(join(f, "link.md"));
  });

  it("refuses a link to a folder outside the roots without walking it", async () => {
    const f = await folder("dirlink", { "out": `->${join(outside, "folder")}` });
    const found = await findInputFiles(f, boundary);
    expect(found.files).toEqual([]);
    expect(found.refused).toEqual([
      `${join(f, "out")} (resolves to ${
        join(outside, "folder")
      }): a folder outside the input roots (${dir}, ${cases})`,
    ]);
    const globbed = await findInputFiles(join(f, "**", "*.md"), boundary);
    expect(globbed.refused).toHaveLength(1);
  });

  it("walks a link to a folder inside the roots by its real paths, and stops at a loop", async () => {
    const f = await folder("inner", { "sub": `->${join(dir, "sub")}`, "loop": "->." });
    const found = await findInputFiles(f, boundary);
    expect(found.refused).toEqual([]);
    expect(found.files).toEqual([join(dir, "sub/d.md"), join(dir, "sub/deep/e.csv")]);
  });

  it("refuses a link to the state folder's secret and a file in the backup folder", async () => {
    const f = await folder("secret", {
      "pw.md": `->${join(boundary.stateDir, "secrets", "redis-password")}`,
    });
    const found = await findInputFiles(join(f, "pw.md"), boundary);
    expect(found.refused).toEqual([
      `${join(f, "pw.md")} (resolves to ${
        join(boundary.secretsDir, "redis-password")
      }): inside the secrets folder ${boundary.secretsDir}`,
    ]);
  });

  it("refuses a FIFO, a link to nothing, and never opens them", async () => {
    const f = await folder("special", { "dangling.md": `->${join(outside, "gone.md")}` });
    await mkfifo(join(f, "pipe.md"));
    const found = await findInputFiles(f, boundary);
    expect(found.files).toEqual([]);
    expect(found.refused.sort()).toEqual([
      `${join(f, "dangling.md")}: does not exist, or is a link to nothing`,
      `${join(f, "pipe.md")}: a FIFO, not a regular file`,
    ]);
  });
});
