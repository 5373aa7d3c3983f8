import type { Output } from "../output/output.ts";
import type { ConfiguredService } from "../config/mod.ts";
import { UsageError } from "../errors.ts";
import type { Runtime } from "../runtime/runtime.ts";
import { currentRelease, readReleases, type Release } from "./release_log.ts";
import { sourceVersion } from "./source_version.ts";
import { trackRelease } from "./track_release.ts";

/** Options of a deploy. */
export interface DeployOptions {
  /** Seconds the new version may take to become healthy. */
  timeoutSeconds?: number;
  /** A ready image to deploy instead of building one (container runtimes). */
  image?: string;
  signal?: AbortSignal;
  /** Where builds report their steps (default: nowhere). */
  output?: Output;
  /** Progress lines for the operator. */
  onStep?: (text: string) => void;
}

/**
 * Deploys the checkout's code to a native service: a new process starts
 * beside the running one on the same port, the old one stops once the new
 * one is healthy, and on failure the old one keeps serving (see
 * {@link Runtime.replace}). Recorded in the environment's releases.
 * @throws {UsageError} when the service cannot be handed over (only web can) or an image is given.
 */
export async function deployNative(
  runtime: Runtime,
  service: ConfiguredService,
  options: DeployOptions = {},
): Promise<Release> {
  const name = service.definition.name;
  if (!runtime.replace) {
    throw new UsageError(`the ${runtime.kind} runtime cannot replace a process`);
  }
  if (options.image !== undefined) {
    throw new UsageError(
      `--image needs a container runtime: environment ${
        JSON.stringify(runtime.environment.name)
      } runs ${name} from this checkout (native runtime)`,
      `run ./ops deploy ${name} without --image: it deploys the checkout's code`,
    );
  }
  const version = await sourceVersion();
  const previous = currentRelease(await readReleases(runtime.environment), name);
  const replace = runtime.replace.bind(runtime);
  return await trackRelease(
    runtime.environment,
    service,
    { action: "deploy", version, runtime: runtime.kind },
    async (facts) => {
      if (previous) facts.previousVersion = previous.version;
      options.onStep?.(`${name}: starting ${version} beside the running process...`);
      const result = await replace(service, {
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.timeoutSeconds ? { readyTimeoutMs: options.timeoutSeconds * 1000 } : {}),
      });
      return { detail: `${result.action}; pid ${result.pid}` };
    },
  );
}
