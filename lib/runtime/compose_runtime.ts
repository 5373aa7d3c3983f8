import type { Environment } from "../config/mod.ts";
import { UsageError } from "../errors.ts";

/**
 * The compose runtime (Docker Compose for staging and production) is not part
 * of this version: selecting such an environment fails with a clear message.
 * @throws {UsageError} always.
 */
export function composeRuntimeUnavailable(environment: Environment): never {
  throw new UsageError(
    `environment ${
      JSON.stringify(environment.name)
    } uses the compose runtime, which this version of HailMary Ops does not include yet`,
    "use --env local (the native runtime) for now",
  );
}
