import { join } from "../posix_path.ts";
import type { Environment } from "../config/mod.ts";
import { BusyError } from "../errors.ts";
import { isAlive, type ProcessStart, processStartOrNow } from "../runtime/proc.ts";

/** Who holds a service's deploy lock. */
interface DeployLockHolder extends ProcessStart {
  pid: number;
  host: string;
  action: string;
  startedAt: string;
}

/** The lock file of a service's deploys and rollbacks in an environment. */
export function deployLockPath(environment: Environment, service: string): string {
  return join(environment.stateDir, "run", `deploy-${service}.lock`);
}

/**
 * Runs `work` holding the deploy lock of a service: two deploys (or a deploy
 * and a rollback) of one service never interleave. A lock whose process is
 * gone (this host) is taken over.
 * @throws {BusyError} at once (exit 75) when a live process holds it, naming it.
 */
export async function withDeployLock<T>(
  environment: Environment,
  service: string,
  action: string,
  work: () => Promise<T>,
): Promise<T> {
  const path = deployLockPath(environment, service);
  await Deno.mkdir(join(environment.stateDir, "run"), { recursive: true });
  const mine: DeployLockHolder = {
    pid: Deno.pid,
    ...(await processStartOrNow(Deno.pid)),
    host: Deno.hostname(),
    action,
    startedAt: new Date().toISOString(),
  };
  for (let attempt = 0;; attempt++) {
    try {
      await Deno.writeTextFile(path, JSON.stringify(mine) + "\n", { createNew: true });
      break;
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists) || attempt >= 3) throw error;
    }
    const holder = await readHolder(path);
    if (holder && (holder.host !== mine.host || await isAlive(holder.pid, holder))) {
      throw new BusyError(
        `a ${holder.action} of ${service} is running in ${environment.name} (process ${holder.pid} on ${holder.host}, since ${holder.startedAt})`,
        "wait for it to end, then run again (./ops releases lists it once it ends)",
      );
    }
    // its process is gone (or it is unreadable): take it over
    await Deno.remove(path).catch(() => {});
  }
  try {
    return await work();
  } finally {
    await Deno.remove(path).catch(() => {});
  }
}

async function readHolder(path: string): Promise<DeployLockHolder | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as DeployLockHolder;
  } catch {
    return undefined;
  }
}
