import { join } from "../posix_path.ts";
import type { Environment } from "../config/mod.ts";
import { swarmStateDir } from "./swarm_stack.ts";

/** What the operator asked of the stack: services started (with replicas) and the last scale of each. */
export interface DesiredStack {
  /** Started services → replicas. A service not here is stopped (0 replicas in the stack file). */
  running: Record<string, number>;
  /** The last replica count of each service, kept while it is stopped. */
  scale: Record<string, number>;
}

function desiredFile(environment: Environment): string {
  return join(swarmStateDir(environment), "desired.json");
}

/** The recorded desired stack (empty when none was recorded). */
export async function readDesiredStack(environment: Environment): Promise<DesiredStack> {
  try {
    const read = JSON.parse(await Deno.readTextFile(desiredFile(environment))) as DesiredStack;
    return { running: read.running ?? {}, scale: read.scale ?? {} };
  } catch {
    return { running: {}, scale: {} };
  }
}

/** Records the desired stack atomically. */
export async function writeDesiredStack(
  environment: Environment,
  desired: DesiredStack,
): Promise<void> {
  const file = desiredFile(environment);
  await Deno.mkdir(swarmStateDir(environment), { recursive: true, mode: 0o700 });
  await Deno.writeTextFile(`${file}.${Deno.pid}.tmp`, JSON.stringify(desired, null, 2) + "\n");
  await Deno.rename(`${file}.${Deno.pid}.tmp`, file);
}
