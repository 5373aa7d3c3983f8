import { join } from "../posix_path.ts";
import type { ConfiguredService, Environment } from "../config/mod.ts";
import { FailedError, UsageError } from "../errors.ts";
import { serviceContext } from "../service/service_context.ts";
import { serviceProbe } from "../service/service_probe.ts";
import { tailLines } from "./log_file.ts";
import {
  launch,
  type ProcessRecord,
  stopProcessGroup,
  whyGone,
  writeRecord,
} from "./native_launch.ts";
import { processStartOrNow, sleep } from "./proc.ts";
import { serviceUser } from "./service_user.ts";
import type { LifecycleResult, ReplaceOptions } from "./runtime.ts";

/** The running process a hand-over replaces: its pid, pid file and record file. */
export interface RunningProcess {
  pid: number;
  pidFile: string;
  recordFile: string;
  logFile: string;
}

/**
 * Replaces a running service's process without closing its port: the new
 * process starts beside the old one (both bind the port with SO_REUSEPORT;
 * the service's `handover.env` tells it to bind only once it is healthy
 * itself), and once it listens and the port's probe answers healthy, the old
 * one is stopped gracefully (it finishes the requests it holds). When the new
 * one does not get there within the ready timeout it is stopped and the old
 * one keeps serving, untouched.
 * @throws {UsageError} when the service cannot share its port.
 * @throws {FailedError} when the new process did not become healthy (the old one still runs).
 */
export async function handOver(
  environment: Environment,
  service: ConfiguredService,
  old: RunningProcess,
  options: ReplaceOptions = {},
): Promise<LifecycleResult> {
  const began = performance.now();
  const name = service.definition.name;
  const spec = service.definition.native(serviceContext(environment, service));
  if (!spec.handover || service.port === undefined) {
    throw new UsageError(
      `${name} cannot start a new process beside the running one: its definition declares no hand-over on a shared port`,
      `./ops ${name}:restart stops it and starts it again`,
    );
  }
  const user = await serviceUser(environment.serviceUser);
  const runDir = join(service.stateDir, "run");
  const nextPidFile = join(runDir, "next.pid");
  const nextSpec = { ...spec, env: { ...spec.env, ...spec.handover.env } };
  const pid = await launch(nextSpec, service, nextPidFile, old.logFile, user);
  const record: ProcessRecord = {
    pid,
    ...(await processStartOrNow(pid)),
    startedAt: new Date().toISOString(),
    port: service.port,
  };
  const timeoutMs = options.readyTimeoutMs ?? spec.readyTimeoutMs;
  try {
    await waitListening(environment, service, record, timeoutMs, options.signal);
  } catch (error) {
    await stopProcessGroup(pid, spec.stopSignal, spec.stopTimeoutMs);
    await Deno.remove(nextPidFile).catch(() => {});
    throw error;
  }
  // both serve now: the old one stops accepting and finishes what it holds
  await stopProcessGroup(old.pid, spec.stopSignal, spec.stopTimeoutMs);
  record.readyAt = new Date().toISOString();
  await writeRecord(old.recordFile, record);
  await Deno.rename(nextPidFile, old.pidFile);
  return {
    service: name,
    action: `replaced process ${old.pid}`,
    pid,
    durationMs: Math.round(performance.now() - began),
  };
}

/** Waits until the new process listens on the service's port and the port's probe is healthy. */
async function waitListening(
  environment: Environment,
  service: ConfiguredService,
  record: ProcessRecord,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const name = service.definition.name;
  const probe = serviceProbe(environment, service);
  const deadline = Date.now() + timeoutMs;
  let last = "not listening yet";
  while (Date.now() < deadline) {
    if (signal?.aborted) throw new FailedError(`the new ${name} process was cancelled`);
    const gone = await whyGone(record.pid, record);
    if (gone) {
      const { lines } = await tailLines(join(service.stateDir, "logs", `${name}.log`), 15);
      // a process started before its service shared the port holds it alone
      const portHeld = lines.some((l) => /AddrInUse|address already in use/i.test(l));
      throw new FailedError(
        `the new ${name} process exited during start-up (${gone}); the old one keeps serving: last log lines:\n    ${
          lines.join("\n    ")
        }`,
        {
          hint: portHeld
            ? `the running ${name} holds its port alone (started before it could share it): ./ops ${name}:restart once, then deploy`
            : `read the whole log with ./ops ${name}:logs`,
        },
      );
    }
    if ((await portListeners(service.port!)).includes(record.pid)) {
      const result = await probe(signal ?? AbortSignal.timeout(5000));
      if (result.healthy) return;
      last = result.detail;
    }
    await sleep(250);
  }
  throw new FailedError(
    `the new ${name} process did not become healthy within ${
      Math.round(timeoutMs / 1000)
    } s (${last}); it was stopped and the old one keeps serving`,
    { hint: `read ./ops ${name}:logs` },
  );
}

/** The pids listening on a TCP port of this machine (several share it with SO_REUSEPORT). */
async function portListeners(port: number): Promise<number[]> {
  const { stdout } = await new Deno.Command("ss", {
    args: ["-H", "-ltnp", `sport = :${port}`],
    stdout: "piped",
    stderr: "null",
  }).output();
  return [...new TextDecoder().decode(stdout).matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
}
