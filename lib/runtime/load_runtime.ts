import type { Environment } from "../config/mod.ts";
import type { Runtime } from "./runtime.ts";

/**
 * The runtime an environment asks for, like `runtimeFor`, importing only the
 * native driver for a native environment: the container drivers (and what
 * they import) stay off the start path of `status` and `health`.
 */
export async function loadRuntime(environment: Environment): Promise<Runtime> {
  if (environment.runtime === "native") {
    const { NativeRuntime } = await import("./native_runtime.ts");
    return new NativeRuntime(environment);
  }
  const { runtimeFor } = await import("./mod.ts");
  return runtimeFor(environment);
}
