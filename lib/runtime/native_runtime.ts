import { dirname, join } from "../posix_path.ts";
import type { ConfiguredService, Environment } from "../config/mod.ts";
import { FailedError, UsageError } from "../errors.ts";
import { serviceContext } from "../service/service_context.ts";
import { serviceProbe } from "../service/service_probe.ts";
import type { NativeCompanion, NativeSpec } from "../service/define_service.ts";
import {
  isGone,
  portHolder,
  processGroupMembers,
  type ProcessStart,
  processStartOrNow,
  readProcStats,
  sameStart,
  sleep,
} from "./proc.ts";
import { followLog, tailLines } from "./log_file.ts";
import {
  launch,
  type ProcessRecord,
  readRecordSync,
  stopProcessGroup,
  whyGone,
  writeRecord,
} from "./native_launch.ts";
import { handOver } from "./native_handover.ts";
import { reapCrashedGroup } from "./reap_crashed_group.ts";
import { sendSignal } from "./send_signal.ts";
import { type ServiceUser, serviceUser } from "./service_user.ts";
import { nativeTools } from "./native_tools.ts";
import type {
  ExecOptions,
  LifecycleResult,
  LogOptions,
  ProcessInfo,
  ReplaceOptions,
  Runtime,
  StartOptions,
} from "./runtime.ts";

/** The files the native runtime keeps for a service under its state folder. */
export function nativePaths(
  service: ConfiguredService,
): { pidFile: string; recordFile: string; logFile: string; initialisedMarker: string } {
  return {
    pidFile: join(service.stateDir, "run", "service.pid"),
    recordFile: join(service.stateDir, "run", "service.json"),
    logFile: join(service.stateDir, "logs", `${service.definition.name}.log`),
    initialisedMarker: join(service.stateDir, "run", "initialised"),
  };
}

/**
 * Supervises services as local processes: one process group per service
 * (setsid), pid and log files under the state folder, readiness by probe,
 * graceful stop then SIGKILL of the whole group. Runs every service as the
 * unprivileged service user when invoked as root.
 */
export class NativeRuntime implements Runtime {
  readonly kind = "native" as const;
  readonly environment: Environment;

  constructor(environment: Environment) {
    this.environment = environment;
  }

  async inspect(service: ConfiguredService): Promise<ProcessInfo> {
    return (await this.inspectAll([service]))[0]!;
  }

  /** Inspects several services with one `ps` call (the status and health path). */
  async inspectAll(services: readonly ConfiguredService[]): Promise<ProcessInfo[]> {
    // a few bytes per service from the local disk: read at once (synchronous reads skip
    // the thread pool), so `ps` starts before the probes' answers come in
    const found = services.map((service) => {
      const { pidFile, recordFile } = nativePaths(service);
      let pidText: string;
      try {
        pidText = Deno.readTextFileSync(pidFile);
      } catch {
        return undefined;
      }
      return {
        pid: Number(pidText.trim()),
        record: readRecordSync(recordFile),
        companions: readCompanionPids(service),
      };
    });
    const pids = found.flatMap((f) => (f && Number.isInteger(f.pid) && f.pid > 0 ? [f.pid] : []));
    const companionPids = found.flatMap((f) => f?.companions.map((c) => c.pid) ?? []);
    const live = new Map(
      (await readProcStats([...pids, ...companionPids.filter((p) => p > 0)])).map((
        p,
      ) => [p.pid, p]),
    );
    const withCompanions = (info: ProcessInfo, f: (typeof found)[number]): ProcessInfo => {
      if (!f?.companions.length) return info;
      return {
        ...info,
        companions: f.companions.map((c) => {
          const stat = live.get(c.pid);
          const running = stat !== undefined && !isGone(stat);
          return { name: c.name, pid: running ? c.pid : null, running };
        }),
      };
    };
    return found.map((f): ProcessInfo => withCompanions(inspectOne(f), f));
    function inspectOne(f: (typeof found)[number]): ProcessInfo {
      if (!f) return { state: "stopped", pid: null, startedAt: null };
      const { pid, record } = f;
      const stat = live.get(pid);
      const alive = stat !== undefined && !isGone(stat) &&
        (!record || record.pid !== pid || sameStart(stat, record));
      if (!alive) {
        return {
          state: "crashed",
          pid: null,
          startedAt: record?.startedAt ?? null,
          reason: `process ${pid} is gone but was not stopped`,
          restarts: record?.restarts ?? 0,
        };
      }
      return {
        state: record?.readyAt ? "running" : "starting",
        pid,
        startedAt: record?.startedAt ?? null,
        restarts: record?.restarts ?? 0,
      };
    }
  }

  async start(service: ConfiguredService, options: StartOptions = {}): Promise<LifecycleResult> {
    const began = performance.now();
    const name = service.definition.name;
    const info = await this.inspect(service);
    if (info.state === "running" || info.state === "starting") {
      const running = service.definition.native(serviceContext(this.environment, service));
      const restarted = info.state === "running"
        ? await this.#startCompanions(
          service,
          running,
          await serviceUser(this.environment.serviceUser),
        )
        : [];
      return {
        service: name,
        action: restarted.length
          ? `already running (started ${restarted.join(", ")} again)`
          : "already running",
        pid: info.pid,
        durationMs: elapsed(began),
      };
    }
    const paths = nativePaths(service);
    const ctx = serviceContext(this.environment, service);
    const spec = service.definition.native(ctx);
    if (info.state === "crashed") await this.#reapGroup(service, spec);
    if (service.port !== undefined) await assertPortFree(name, service.port);

    // no service runs as root: as root, every one runs as the unprivileged service user
    const user = await serviceUser(this.environment.serviceUser);
    if (user) await assertReachable(service.stateDir, user);
    await Deno.mkdir(join(service.stateDir, "run"), { recursive: true });
    await Deno.mkdir(join(service.stateDir, "logs"), { recursive: true });
    if (user) await chownTree(service.stateDir, user);
    const tools = nativeTools(user);
    await spec.prepare?.(tools);
    if (user) await chownTree(service.stateDir, user);

    const pid = await launch(spec, service, paths.pidFile, paths.logFile, user);
    const record: ProcessRecord = {
      pid,
      ...(await processStartOrNow(pid)),
      startedAt: new Date().toISOString(),
    };
    if (service.port !== undefined) record.port = service.port;
    // a start after a crash counts as a restart until the service is stopped on purpose
    if (info.state === "crashed") record.restarts = (info.restarts ?? 0) + 1;
    await writeRecord(paths.recordFile, record);

    try {
      await this.#waitReady(service, spec, pid, record, options);
    } catch (error) {
      await this.#stopProcess(service, spec, pid);
      throw error;
    }
    record.readyAt = new Date().toISOString();
    await writeRecord(paths.recordFile, record);
    if (spec.initialise && !(await exists(paths.initialisedMarker))) {
      await spec.initialise(tools);
      await Deno.writeTextFile(paths.initialisedMarker, new Date().toISOString() + "\n");
    }
    await this.#startCompanions(service, spec, user);
    return {
      service: name,
      action: info.state === "crashed" ? "restarted after crash" : "started",
      pid,
      durationMs: elapsed(began),
    };
  }

  async replace(
    service: ConfiguredService,
    options: ReplaceOptions = {},
  ): Promise<LifecycleResult> {
    const info = await this.inspect(service);
    if (info.state !== "running" || info.pid === null) {
      return await this.start(service, options.signal ? { signal: options.signal } : {});
    }
    return await handOver(
      this.environment,
      service,
      { pid: info.pid, ...nativePaths(service) },
      options,
    );
  }

  async stop(service: ConfiguredService): Promise<LifecycleResult> {
    const began = performance.now();
    const name = service.definition.name;
    const info = await this.inspect(service);
    // companions first: a WAL receiver must not outlive (or race) its server's stop
    const stopSpec = service.definition.native(serviceContext(this.environment, service));
    await this.#stopCompanions(service, stopSpec);
    if (info.state === "stopped") {
      return { service: name, action: "already stopped", pid: null, durationMs: elapsed(began) };
    }
    if (info.state === "crashed" || info.pid === null) {
      await this.#reapGroup(service);
      await this.#clear(service);
      return {
        service: name,
        action: "cleared crashed state",
        pid: null,
        durationMs: elapsed(began),
      };
    }
    await this.#stopProcess(service, stopSpec, info.pid);
    return { service: name, action: "stopped", pid: info.pid, durationMs: elapsed(began) };
  }

  async *logs(service: ConfiguredService, options: LogOptions): AsyncIterable<string> {
    const { logFile } = nativePaths(service);
    const { lines, size } = await tailLines(logFile, options.tail);
    yield* lines;
    if (options.follow) yield* followLog(logFile, size, options.signal);
  }

  exec(service: ConfiguredService, argv: string[], options: ExecOptions = {}): Deno.ChildProcess {
    const [program, ...args] = argv;
    if (!program) throw new UsageError("exec needs a program");
    void service;
    const [command, ...rest] = diesWithParent(program, args);
    return new Deno.Command(command!, {
      args: rest,
      env: options.env ?? {},
      stdin: options.stdin ?? "null",
      stdout: options.stdout ?? "piped",
      stderr: options.stderr ?? "piped",
      ...(options.cwd ? { cwd: options.cwd } : {}),
    }).spawn();
  }

  async #waitReady(
    service: ConfiguredService,
    spec: NativeSpec,
    pid: number,
    start: ProcessStart,
    options: StartOptions,
  ): Promise<void> {
    const probe = serviceProbe(this.environment, service);
    const deadline = Date.now() + spec.readyTimeoutMs;
    let last = "no probe yet";
    while (Date.now() < deadline) {
      if (options.signal?.aborted) {
        throw new FailedError(`start of ${service.definition.name} was cancelled`);
      }
      // the probe first: a server that answers is alive, whatever one `ps` reading says
      const result = await probe(options.signal ?? AbortSignal.timeout(5000));
      if (!result.healthy) {
        const gone = await whyGone(pid, start);
        if (gone) {
          const { lines } = await tailLines(nativePaths(service).logFile, 15);
          throw new FailedError(
            `${service.definition.name} exited during start-up (${gone}): last log lines:\n    ${
              lines.join("\n    ")
            }`,
            { hint: `read the whole log with ./ops ${service.definition.name}:logs` },
          );
        }
      }
      options.onProbe?.(result);
      if (result.healthy) return;
      last = result.detail;
      await sleep(250);
    }
    throw new FailedError(
      `${service.definition.name} did not become healthy within ${
        Math.round(spec.readyTimeoutMs / 1000)
      } s: ${last}`,
      { hint: `read ./ops ${service.definition.name}:logs; the process was stopped` },
    );
  }

  /** Starts the companions that are not running; returns the names started. */
  async #startCompanions(
    service: ConfiguredService,
    spec: NativeSpec,
    user: ServiceUser | undefined,
  ): Promise<string[]> {
    const started: string[] = [];
    for (const companion of spec.companions ?? []) {
      const files = companionPaths(service, companion);
      if (await companionPid(files.pidFile)) continue;
      const pid = await launch(
        { ...spec, command: companion.command, env: { ...spec.env, ...companion.env } },
        service,
        files.pidFile,
        files.logFile,
        user,
      );
      await writeRecord(files.recordFile, {
        pid,
        ...(await processStartOrNow(pid)),
        startedAt: new Date().toISOString(),
      });
      started.push(companion.name);
    }
    return started;
  }

  /** Stops every companion's process group (SIGTERM, then SIGKILL after 5 s). */
  async #stopCompanions(service: ConfiguredService, spec: NativeSpec): Promise<void> {
    for (const companion of spec.companions ?? []) {
      const files = companionPaths(service, companion);
      const pid = await companionPid(files.pidFile);
      if (pid) {
        await sendSignal(-pid, "SIGTERM");
        const deadline = Date.now() + 5000;
        while (Date.now() < deadline && (await processGroupMembers(pid)).length > 0) {
          await sleep(100);
        }
        if ((await processGroupMembers(pid)).length > 0) await sendSignal(-pid, "SIGKILL");
      }
      await Deno.remove(files.pidFile).catch(() => {});
      await Deno.remove(files.recordFile).catch(() => {});
    }
  }

  async #stopProcess(service: ConfiguredService, spec: NativeSpec, pid: number): Promise<void> {
    await stopProcessGroup(pid, spec.stopSignal, spec.stopTimeoutMs);
    await this.#clear(service);
  }

  /**
   * Ends what is left of a crashed service's process group (e.g. PostgreSQL
   * backends) and waits until it is gone, zombies and the holder of the
   * spec's pid lock file included, so a start right after a kill -9 works.
   */
  async #reapGroup(service: ConfiguredService, spec?: NativeSpec): Promise<void> {
    let pid: number;
    try {
      pid = Number((await Deno.readTextFile(nativePaths(service).pidFile)).trim());
    } catch {
      return; // no pid file
    }
    if (!(pid > 0)) return;
    await reapCrashedGroup(pid, { name: service.definition.name, pidLockFile: spec?.pidLockFile });
  }

  async #clear(service: ConfiguredService): Promise<void> {
    const { pidFile, recordFile } = nativePaths(service);
    await Deno.remove(pidFile).catch(() => {});
    await Deno.remove(recordFile).catch(() => {});
  }
}

/**
 * The command line of a client program (pg_dump, psql...) that the kernel
 * stops when this process dies, even by SIGKILL (`setpriv --pdeathsig`), so a
 * killed task leaves no program running. The program itself must be allowed
 * by the task's permission set: Deno checks setpriv, this checks the program.
 */
function diesWithParent(program: string, args: string[]): string[] {
  if (Deno.permissions.querySync({ name: "run", command: program }).state !== "granted") {
    throw new Deno.errors.NotCapable(`Requires run access to "${program}"`);
  }
  if (Deno.permissions.querySync({ name: "run", command: "setpriv" }).state !== "granted") {
    return [program, ...args];
  }
  return ["setpriv", "--pdeathsig", "KILL", "--", program, ...args];
}

/** The pid, record and log files of a service's companion. */
export function companionPaths(
  service: ConfiguredService,
  companion: Pick<NativeCompanion, "name">,
): { pidFile: string; recordFile: string; logFile: string } {
  return {
    pidFile: join(service.stateDir, "run", `${companion.name}.pid`),
    recordFile: join(service.stateDir, "run", `${companion.name}.json`),
    logFile: join(service.stateDir, "logs", `${companion.name}.log`),
  };
}

/** The companions' pid files of a service (`run/<name>.pid` beside `run/service.pid`). */
function readCompanionPids(service: ConfiguredService): { name: string; pid: number }[] {
  const out: { name: string; pid: number }[] = [];
  const run = join(service.stateDir, "run");
  try {
    for (const entry of Deno.readDirSync(run)) {
      if (!entry.isFile || !entry.name.endsWith(".pid") || entry.name === "service.pid") continue;
      let text = "";
      try {
        text = Deno.readTextFileSync(join(run, entry.name));
      } catch {
        // removed in the meantime
      }
      const pid = Number(text.trim());
      if (pid > 0) out.push({ name: entry.name.slice(0, -".pid".length), pid });
    }
  } catch {
    // no run folder yet
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** The pid of a companion whose process group still runs, else undefined. */
async function companionPid(pidFile: string): Promise<number | undefined> {
  const pid = Number((await Deno.readTextFile(pidFile).catch(() => "")).trim());
  if (!(pid > 0)) return undefined;
  return (await processGroupMembers(pid)).length > 0 ? pid : undefined;
}

async function assertPortFree(name: string, port: number): Promise<void> {
  try {
    const listener = Deno.listen({ hostname: "127.0.0.1", port });
    listener.close();
  } catch (error) {
    if (!(error instanceof Deno.errors.AddrInUse)) throw error;
    const holder = await portHolder(port);
    const who = holder
      ? `process ${holder.pid} (${holder.command.slice(0, 80)})`
      : "another process";
    throw new UsageError(
      `port ${port} for ${name} is already taken by ${who}`,
      `stop that process, or set another services.${name}.port in the environment file`,
    );
  }
}

/** Hands the state folder to the service user; three levels deep covers config and run files without walking data. */
async function chownTree(path: string, user: ServiceUser, depth = 3): Promise<void> {
  const info = await Deno.lstat(path);
  if (info.uid !== user.uid || info.gid !== user.gid) await Deno.chown(path, user.uid, user.gid);
  if (!info.isDirectory || depth === 0) return;
  for await (const entry of Deno.readDir(path)) {
    await chownTree(join(path, entry.name), user, depth - 1);
  }
}

/**
 * Creates the state folder and checks that the service user can reach it:
 * every parent must be searchable by others (a root-only 0700 parent is the usual trap).
 */
async function assertReachable(stateDir: string, user: ServiceUser): Promise<void> {
  await Deno.mkdir(stateDir, { recursive: true, mode: 0o755 });
  let dir = stateDir;
  while (true) {
    const parent = dirname(dir);
    const info = await Deno.stat(dir);
    const mode = info.mode ?? 0o755;
    const searchable = (mode & 0o001) !== 0 || (info.uid === user.uid && (mode & 0o100) !== 0) ||
      (info.gid === user.gid && (mode & 0o010) !== 0);
    if (!searchable) {
      throw new UsageError(
        `the service user '${user.name}' cannot reach ${stateDir}: ${dir} is not searchable by others (mode ${
          (mode & 0o777).toString(8)
        })`,
        `chmod o+x ${dir}, or set stateDir to a folder outside it`,
      );
    }
    if (parent === dir) break;
    dir = parent;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

function elapsed(began: number): number {
  return Math.round(performance.now() - began);
}
