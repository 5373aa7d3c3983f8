import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { opsWritable } from "../../../lib/cli/permission_sets.ts";
import { grantsFile } from "../../../lib/cli/remembered_grants.ts";
import {
  createTestEnvironment,
  ops,
  root,
  type TestEnvironment,
} from "../../helpers/test_stack.ts";

// An environment whose state and backups are outside the "ops" set's folders: its first
// run starts itself again with those two folders granted and remembers the flag; ./ops
// puts it on the next run's command line, so that run starts once. OPS_GRANT_DEPTH=2
// forbids starting again: a run that still needs to fails with exit 2.

let env: TestEnvironment;
let envFile: string;

beforeAll(async () => {
  // nothing listens: `down` finds every service stopped and changes nothing
  env = await createTestEnvironment({ name: "outside", services: ["redis"] });
  envFile = env.file;
  // an environment file written a minute ago, as most are
  const past = new Date(Date.now() - 60_000);
  await Deno.utime(envFile, past, past);
});
afterAll(async () => {
  await env.remove();
  await Deno.remove(grantsFile(envFile)).catch(() => {});
});

const shown = async (file: string, cwd = root) =>
  (await ops(file, ["down"], { cwd, env: { OPS_SHOW_COMMAND: "1" } })).stdout.trim();
const once = (file: string, cwd = root) =>
  ops(file, ["down", "--json"], { cwd, env: { OPS_GRANT_DEPTH: "2" } });

describe("remembered grants", () => {
  it("a first run starts again with the two folders; the next one starts with them, once", async () => {
    const plain = await shown(envFile);
    expect(plain).not.toContain("--allow-write");
    // without the grants, a run that may not start itself again says what it lacks
    const refused = await once(envFile);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`this run lacks access to ${env.stateDir}`);

    const first = await ops(envFile, ["down", "--json"]);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);

    const remembered = (await Deno.readTextFile(grantsFile(envFile))).trim();
    expect(remembered).toBe(
      `--allow-write=${
        [...opsWritable.map((p) => join(root, p)), env.stateDir, env.backupDir]
          .join(",")
      }`,
    );
    expect(await shown(envFile)).toBe(plain.replace(/^deno run /, `deno run ${remembered} `));
    const second = await once(envFile);
    expect(second.stderr).toBe("");
    expect(second.code).toBe(0);
    // the same file typed relative to the folder the command is typed in
    const relative = await once("outside.yaml", env.dir);
    expect(relative.stderr).toBe("");
    expect(relative.code).toBe(0);
  });

  it("counts only while newer than the environment file", async () => {
    expect(await shown(envFile)).toContain("--allow-write");
    const now = new Date();
    await Deno.utime(envFile, now, now);
    expect(await shown(envFile)).not.toContain("--allow-write");
    const refused = await once(envFile);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("this run lacks access to");
  });
});
