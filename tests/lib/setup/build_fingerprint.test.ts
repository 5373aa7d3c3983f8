import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildFingerprint } from "../../../lib/setup/build_fingerprint.ts";

let dir: string;
const dockerfile = () => join(dir, "Dockerfile");

beforeEach(async () => {
  dir = await Deno.makeTempDir({ prefix: "hailmary-fingerprint-" });
  await Deno.writeTextFile(dockerfile(), "FROM debian\nRUN apt-get install -y postgresql\n");
  await Deno.mkdir(join(dir, "container"));
  await Deno.writeTextFile(join(dir, "container", "entrypoint.sh"), "#!/bin/sh\nexec postgres\n");
});
afterEach(() => Deno.remove(dir, { recursive: true }));

describe("an image's build fingerprint", () => {
  it("stays the same for the same files and arguments, in any order", async () => {
    const a = await buildFingerprint(dockerfile(), [["A", "1"], ["B", "2"]]);
    expect(await buildFingerprint(dockerfile(), [["B", "2"], ["A", "1"]])).toBe(a);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
  });

  it("changes with the Dockerfile, a file beside it, a new file or an argument", async () => {
    const before = await buildFingerprint(dockerfile(), [["A", "1"]]);
    expect(await buildFingerprint(dockerfile(), [["A", "2"]])).not.toBe(before);
    await Deno.writeTextFile(
      join(dir, "container", "entrypoint.sh"),
      "#!/bin/sh\nexec postgres -d 1\n",
    );
    const script = await buildFingerprint(dockerfile(), [["A", "1"]]);
    expect(script).not.toBe(before);
    await Deno.writeTextFile(join(dir, "archive_wal.sh"), "#!/bin/sh\n");
    expect(await buildFingerprint(dockerfile(), [["A", "1"]])).not.toBe(script);
  });

  it("leaves node_modules and hidden files out", async () => {
    const before = await buildFingerprint(dockerfile(), []);
    await Deno.mkdir(join(dir, "node_modules"));
    await Deno.writeTextFile(join(dir, "node_modules", "x.js"), "1");
    await Deno.writeTextFile(join(dir, ".swp"), "1");
    expect(await buildFingerprint(dockerfile(), [])).toBe(before);
  });
});
