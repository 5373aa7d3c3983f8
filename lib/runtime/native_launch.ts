import type { ConfiguredService } from "../config/mod.ts";
import type { NativeSpec } from "../service/define_service.ts";
import {
  isGone,
  processGroupMembers,
  type ProcessStart,
  readProcStat,
  sameStart,
  sleep,
} from "./proc.ts";
import { sendSignal } from "./send_signal.ts";
import { asUser, type ServiceUser } from "./service_user.ts";
import { launchDetached } from "./detached_launch.ts";

/** What the runtime records next to the pid file. */
export interface ProcessRecord extends ProcessStart {
  pid: number;
  startedAt: string;
  readyAt?: string;
  port?: number;
  /** Starts after a crash since the service was last stopped on purpose. */
  restarts?: number;
}

/**
 * Starts a service's program in its own session and process group (setsid),
 * as the service user when given, with its output appended to `logFile`;
 * returns the pid the program wrote to `pidFile`.
 * @throws {FailedError} when it could not be launched.
 */
export async function launch(
  spec: NativeSpec,
  service: ConfiguredService,
  pidFile: string,
  logFile: string,
  user: ServiceUser | undefined,
): Promise<number> {
  return await launchDetached({
    argv: [...asUser(user), ...spec.command],
    env: { HOME: service.stateDir, ...spec.env },
    cwd: spec.cwd ?? service.stateDir,
    pidFile,
    logFile,
    name: service.definition.name,
  });
}

/** The process record beside a pid file, when readable. */
/** The record of a service, read synchronously (the status path reads it before the probes start). */
export function readRecordSync(path: string): ProcessRecord | undefined {
  try {
    return JSON.parse(Deno.readTextFileSync(path)) as ProcessRecord;
  } catch {
    return undefined;
  }
}

export async function readRecord(path: string): Promise<ProcessRecord | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as ProcessRecord;
  } catch {
    return undefined;
  }
}

/** Writes a process record atomically (temp file, then rename). */
export async function writeRecord(path: string, record: ProcessRecord): Promise<void> {
  await Deno.writeTextFile(path + ".tmp", JSON.stringify(record) + "\n");
  await Deno.rename(path + ".tmp", path);
}

/** Why the launched process no longer counts as running, or undefined while it runs. */
export async function whyGone(pid: number, start: ProcessStart): Promise<string | undefined> {
  const stat = await readProcStat(pid);
  if (!stat) return `process ${pid} is gone`;
  if (isGone(stat)) return `process ${pid} has exited (state ${stat.state})`;
  if (!sameStart(stat, start)) return `pid ${pid} now belongs to another process (${stat.comm})`;
  return undefined;
}

/**
 * Stops a process group: `signal`, up to `timeoutMs` for it to end, then
 * SIGKILL and up to 5 s more, so no process of it is left.
 */
export async function stopProcessGroup(
  pid: number,
  signal: Deno.Signal,
  timeoutMs: number,
): Promise<void> {
  await sendSignal(-pid, signal);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && (await processGroupMembers(pid)).length > 0) await sleep(100);
  if ((await processGroupMembers(pid)).length > 0) {
    await sendSignal(-pid, "SIGKILL");
    const killDeadline = Date.now() + 5000;
    while (Date.now() < killDeadline && (await processGroupMembers(pid)).length > 0) {
      await sleep(50);
    }
  }
}
