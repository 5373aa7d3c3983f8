/**
 * Starts one shared stack (postgres, redis, opensearch) for the suites that
 * need running servers; suites that test the lifecycle itself start their own.
 * Test files get its environment file from `sharedStackEnv()` (tests/helpers/shared_stack.ts).
 */
import type { TestProject } from "vitest/node";
import { createTestEnvironment, ops, opsOk, type TestEnvironment } from "./helpers/test_stack.ts";

let shared: TestEnvironment | undefined;

export async function setup(project: TestProject): Promise<void> {
  shared = await createTestEnvironment({ name: "shared" });
  try {
    await opsOk(shared.file, ["up"]);
  } catch (error) {
    // vitest skips teardown when setup fails: leave no process of a half-started stack behind
    await ops(shared.file, ["down"]);
    await shared.remove();
    throw error;
  }
  (project.provide as (key: string, value: string) => void)("stackEnv", shared.file);
}

export async function teardown(): Promise<void> {
  if (!shared) return;
  await opsOk(shared.file, ["down"]);
  await shared.remove();
}
