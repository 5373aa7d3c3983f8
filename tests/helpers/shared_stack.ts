import { inject } from "vitest";

/** The environment file of the stack started once by tests/global_setup.ts (postgres, redis, opensearch running). */
export function sharedStackEnv(): string {
  return (inject as (key: string) => string)("stackEnv");
}
