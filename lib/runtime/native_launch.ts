import type { ConfiguredService } from "../config/mod.ts";
import { FailedError } from "../errors.ts";
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
import type { ServiceUser } from "./service_user.ts";

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
  await Deno.remove(pidFile).catch(() => {});
  const dropRoot = user
    ? ["setpriv", `--reuid=${user.uid}`, `--regid=${user.gid}`, "--clear-groups", "--"]
    : [];
  // setsid -f: a new session and process group, re-parented away from this
  // process, so the service outlives the task and a group kill reaches all of it.
  const script =
    'echo $$ > "$OPS_PID_FILE.tmp" && mv "$OPS_PID_FILE.tmp" "$OPS_PID_FILE"; exec "$@" >>"$OPS_LOG_FILE" 2>&1 </dev/null';
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/local/bin:/usr/bin:/bin",
    LANG: "C.UTF-8",
    HOME: service.stateDir,
    OPS_PID_FILE: pidFile,
    OPS_LOG_FILE: logFile,
    ...spec.env,
  };
  const child = new Deno.Command("setsid", {
    args: ["-f", "sh", "-c", script, "sh", ...dropRoot, ...spec.command],
    env,
    clearEnv: true,
    cwd: spec.cwd ?? service.stateDir,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const { code, stderr } = await child.output();
  if (code !== 0) {
    throw new FailedError(
      `could not launch ${service.definition.name}: ${new TextDecoder().decode(stderr).trim()}`,
    );
  }
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    try {
      const pid = Number((await Deno.readTextFile(pidFile)).trim());
      if (pid > 0) return pid;
    } catch {
      // not written yet
    }
    await sleep(20);
  }
  throw new FailedError(`${service.definition.name} did not write its pid file ${pidFile}`);
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
