import { join } from "../posix_path.ts";
import type { ConfiguredService, Environment } from "../config/mod.ts";
import { FailedError, UsageError } from "../errors.ts";
import { serviceProbe } from "../service/service_probe.ts";
import { composeCommands } from "./compose_commands.ts";
import {
  type ComposeProject,
  composeProject,
  composeSecretFiles,
  composeSecretsDir,
  serviceVariables,
} from "./compose_project.ts";
import { type ContainerFacts, containerFacts, serviceProcessInfo } from "./compose_state.ts";
import { childLogLines } from "./child_log_lines.ts";
import { type DockerCli, dockerOutput, lastLines, runDocker, spawnDocker } from "./docker_cli.ts";
import { OneOffContainers } from "./one_off_container.ts";
import { sleep } from "./proc.ts";
import type {
  ExecOptions,
  LifecycleResult,
  LogOptions,
  ProcessInfo,
  Runtime,
  ScaleResult,
  StartOptions,
} from "./runtime.ts";
import { environmentArgument } from "../config/environment_argument.ts";

/** Options of {@link ComposeRuntime}. */
export interface ComposeRuntimeOptions {
  /** The docker program (default `$OPS_DOCKER` or `docker`). */
  docker?: string;
  /** Backstop of `up --wait`; the containers' health checks normally decide first (default 600). */
  waitTimeoutSeconds?: number;
  /** Project root holding compose.yaml (default: this checkout). */
  projectRoot?: string;
}

/**
 * Runs services as containers through the `docker compose` CLI (argument
 * arrays only): `up --wait` per service, `rm --stop` to stop, `ps` + `inspect`
 * for state, `logs`, and `exec -T` for client programs, which stream stdin and
 * stdout like local processes. The environment's settings reach the compose
 * files as variables of the docker process (never argv); resolved secrets as
 * files (0600) that Docker mounts as secrets in the containers.
 */
export class ComposeRuntime implements Runtime {
  readonly kind = "compose" as const;
  readonly environment: Environment;
  /** The compose project this runtime drives. */
  readonly project: ComposeProject;
  readonly #cli: DockerCli;
  readonly #waitTimeoutSeconds: number;
  /** The first start creates the project network alone: parallel `up`s would each create one. */
  #networkReady: Promise<void> | undefined;
  #mountsReady: Promise<void> | undefined;

  constructor(environment: Environment, options: ComposeRuntimeOptions = {}) {
    this.environment = environment;
    this.project = composeProject(environment, options.projectRoot);
    this.#cli = {
      program: options.docker ?? Deno.env.get("OPS_DOCKER") ?? "docker",
      env: { ...Deno.env.toObject(), ...this.project.variables },
    };
    this.#waitTimeoutSeconds = options.waitTimeoutSeconds ?? 600;
  }

  /**
   * Every container of the project (one `compose ps`, one `docker inspect`).
   * A container removed while it is read (during `compose ps`, or between it
   * and `docker inspect`: a stop or a one-off run ending) makes the reading
   * start again, up to three times, rather than fail.
   */
  async containers(signal?: AbortSignal): Promise<ContainerFacts[]> {
    const options = signal ? { signal } : {};
    for (let attempt = 1;; attempt++) {
      const lastTry = attempt >= 3;
      const ps = await runDocker(this.#cli, composeCommands.ps(this.project), options);
      if (ps.code !== 0) {
        if (lastTry || !containerVanished(ps.stderr)) {
          throw new FailedError(
            `listing the containers of ${this.project.name} failed (docker exited with ${ps.code}): ${
              lastLines(ps.stderr, 8)
            }`,
          );
        }
        continue;
      }
      const ids = [...ps.stdout.matchAll(/"ID":\s*"([0-9a-f]+)"/g)].map((m) => m[1]!);
      if (ids.length === 0) return containerFacts(ps.stdout, "");
      const inspected = await runDocker(this.#cli, composeCommands.inspect(ids), options);
      if (inspected.code === 0) return containerFacts(ps.stdout, inspected.stdout);
      if (lastTry || !containerVanished(inspected.stderr)) {
        throw new FailedError(
          `inspecting the containers failed (docker exited with ${inspected.code}): ${
            lastLines(inspected.stderr, 8)
          }`,
        );
      }
    }
  }

  async inspect(service: ConfiguredService): Promise<ProcessInfo> {
    return (await this.inspectAll([service]))[0]!;
  }

  async inspectAll(services: readonly ConfiguredService[]): Promise<ProcessInfo[]> {
    const containers = await this.containers();
    this.#assignAddresses(containers);
    return services.map((s) =>
      serviceProcessInfo(containers.filter((c) => c.service === s.definition.name), s.port)
    );
  }

  /**
   * Points every running service that publishes no port on this host
   * (production) at its container's address on the project network, which a
   * Linux host reaches directly: tasks and probes then talk to the real server
   * there. Services with a published port stay on loopback. Without a
   * reachable daemon nothing changes (the task's own docker call reports it).
   */
  async resolveAddresses(): Promise<void> {
    try {
      this.#assignAddresses(await this.containers());
    } catch {
      // no daemon or no project yet
    }
  }

  #assignAddresses(containers: readonly ContainerFacts[]): void {
    for (const service of this.environment.services) {
      const port = service.port;
      const own = containers.filter((c) =>
        c.service === service.definition.name && c.status === "running"
      );
      if (port === undefined || own.length === 0) continue;
      if (own.some((c) => c.publishedPorts.includes(port))) {
        delete service.host;
        continue;
      }
      const address = own.find((c) => c.addresses.length > 0)?.addresses[0];
      if (address) service.host = address;
    }
  }

  async start(service: ConfiguredService, options: StartOptions = {}): Promise<LifecycleResult> {
    const began = performance.now();
    const name = service.definition.name;
    const before = await this.inspect(service);
    // once per run: parallel starts of a wave would write the same secret files at once
    this.#mountsReady ??= this.prepareMounts(options.signal);
    await this.#mountsReady;
    this.#networkReady ??= runDocker(this.#cli, composeCommands.create(this.project, name)).then(
      () => {},
    );
    await this.#networkReady;
    // the service as given: a task may start it with a setting changed for this start
    // (redis:restore starts redis with appendOnly off); compose recreates the container then
    const cli = { ...this.#cli, env: { ...this.#cli.env, ...serviceVariables(service) } };
    const up = await runDocker(
      cli,
      composeCommands.up(this.project, name, this.#waitTimeoutSeconds),
      options.signal ? { signal: options.signal } : {},
    );
    if (options.signal?.aborted) throw new FailedError(`start of ${name} was cancelled`);
    if (up.code !== 0) {
      const tail = await this.#tail(service, 15);
      throw new FailedError(
        `${name} did not become healthy: ${composeError(up.stderr)}${
          tail.length ? `\n  last log lines:\n    ${tail.join("\n    ")}` : ""
        }`,
        { hint: `read ./ops ${name}:logs --env ${environmentArgument(this.environment)}` },
      );
    }
    const after = await this.#waitProbe(service, options);
    const action = before.state === "running" || before.state === "starting"
      ? "already running"
      : before.state === "crashed"
      ? "restarted after crash"
      : "started";
    return { service: name, action, pid: after.pid, durationMs: elapsed(began) };
  }

  async stop(service: ConfiguredService): Promise<LifecycleResult> {
    const began = performance.now();
    const name = service.definition.name;
    const containers = await this.containers();
    const own = containers.filter((c) => c.service === name);
    if (own.length === 0) {
      return { service: name, action: "already stopped", pid: null, durationMs: elapsed(began) };
    }
    const before = serviceProcessInfo(own, service.port);
    if (before.state === "crashed") {
      await runDocker(this.#cli, composeCommands.kill(this.project, name));
    }
    await dockerOutput(this.#cli, composeCommands.remove(this.project, name), `stopping ${name}`);
    if ((await this.containers()).length === 0) {
      // the last service is gone: remove the project's network too (volumes stay)
      await runDocker(this.#cli, composeCommands.down(this.project));
    }
    const action = before.state === "crashed"
      ? "cleared crashed state"
      : before.state === "stopped"
      ? "already stopped"
      : "stopped";
    return { service: name, action, pid: before.pid, durationMs: elapsed(began) };
  }

  async scale(service: ConfiguredService, replicas: number): Promise<ScaleResult> {
    const began = performance.now();
    const name = service.definition.name;
    await this.prepareMounts();
    const result = await runDocker(
      this.#cli,
      composeCommands.scale(this.project, name, replicas, this.#waitTimeoutSeconds),
    );
    if (result.code !== 0) {
      throw new FailedError(
        `scaling ${name} to ${replicas} failed: ${composeError(result.stderr)}`,
        {
          hint: `read ./ops ${name}:logs --env ${environmentArgument(this.environment)}`,
        },
      );
    }
    const running =
      (await this.containers()).filter((c) => c.service === name && c.status === "running").length;
    return { service: name, replicas: running, durationMs: elapsed(began) };
  }

  async *logs(service: ConfiguredService, options: LogOptions): AsyncIterable<string> {
    const child = spawnDocker(
      this.#cli,
      composeCommands.logs(this.project, service.definition.name, options.tail, options.follow),
    );
    // a container's stdout and stderr arrive on docker's own two streams: both are the log
    yield* childLogLines(child, service.definition.name, options.signal);
  }

  exec(service: ConfiguredService, argv: string[], options: ExecOptions = {}): Deno.ChildProcess {
    if (argv.length === 0) throw new UsageError("exec needs a program");
    const env = options.env ?? {};
    const stdin = options.stdin ?? "null";
    const stdout = options.stdout ?? "piped";
    const tty = stdin === "inherit" && stdout === "inherit" && Deno.stdin.isTerminal() &&
      Deno.stdout.isTerminal();
    const args = composeCommands.exec(this.project, service.definition.name, argv, {
      envNames: Object.keys(env),
      tty,
      ...(options.cwd ? { workdir: options.cwd } : {}),
    });
    return spawnDocker({ ...this.#cli, env: { ...this.#cli.env, ...env } }, args, {
      stdin,
      stdout,
      stderr: options.stderr ?? "piped",
    });
  }

  /**
   * Writes each resolved secret to its file (folder 0700, files 0600, replaced
   * atomically) for Docker to mount at `/run/secrets/<name>`: file-backed
   * secrets work on read-only root file systems, where Compose cannot copy
   * secrets into a container.
   */
  async writeSecrets(): Promise<void> {
    const dir = composeSecretsDir(this.environment);
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await Deno.chmod(dir, 0o700);
    for (const [name, value] of Object.entries(composeSecretFiles(this.environment))) {
      const target = join(dir, name);
      const temp = `${target}.${Deno.pid}.tmp`;
      await Deno.writeTextFile(temp, value, { mode: 0o600 });
      await Deno.chmod(temp, 0o600);
      await Deno.rename(temp, target);
    }
  }

  /**
   * Creates the host folders the project mounts (volume devices and bind
   * sources under the state and backup folders) and writes the secret files
   * before a start, so Docker neither refuses a missing volume device nor
   * creates the folders itself.
   */
  async prepareMounts(signal?: AbortSignal): Promise<void> {
    const model = JSON.parse(
      await dockerOutput(
        this.#cli,
        composeCommands.config(this.project),
        `reading the compose model of ${this.project.name}`,
        signal ? { signal, hint: "run ./ops config:validate to see what is wrong" } : {
          hint: "run ./ops config:validate to see what is wrong",
        },
      ),
    ) as ModelMounts;
    for (const dir of hostFolders(model, [this.environment.stateDir, this.environment.backupDir])) {
      await Deno.mkdir(dir, { recursive: true });
    }
    await this.writeSecrets();
  }

  /**
   * One-off containers of a service's own (local) image with this project's
   * variables, for programs the host may not have (a recovering PostgreSQL).
   * @throws {FailedError} when the model names no image for the service.
   */
  async oneOff(service: ConfiguredService): Promise<OneOffContainers> {
    const name = service.definition.name;
    const model = JSON.parse(
      await dockerOutput(
        this.#cli,
        composeCommands.config(this.project),
        `reading the compose model of ${this.project.name}`,
      ),
    ) as {
      services?: Record<string, { image?: string; networks?: Record<string, unknown> }>;
      networks?: Record<string, { name?: string } | null>;
    };
    const own = model.services?.[name];
    if (!own?.image) {
      throw new FailedError(`the compose model of ${this.project.name} names no image for ${name}`);
    }
    const network = Object.keys(own.networks ?? {})[0];
    return new OneOffContainers(
      this.#cli,
      own.image,
      network ? model.networks?.[network]?.name ?? `${this.project.name}_${network}` : undefined,
    );
  }

  /** Where the service's port is published, waits until the host-side probe agrees too. */
  async #waitProbe(service: ConfiguredService, options: StartOptions): Promise<ProcessInfo> {
    const info = await this.inspect(service);
    if (info.health !== undefined || info.state !== "running") return info;
    const probe = serviceProbe(this.environment, service);
    const deadline = Date.now() + 60_000;
    let last = "no probe yet";
    while (Date.now() < deadline && !options.signal?.aborted) {
      const result = await probe(options.signal ?? AbortSignal.timeout(5000));
      options.onProbe?.(result);
      if (result.healthy) return info;
      last = result.detail;
      await sleep(250);
    }
    throw new FailedError(
      `${service.definition.name} is healthy in its container but not from this host: ${last}`,
      { hint: `check the published port (${service.port ?? "none"}) in the compose override` },
    );
  }

  async #tail(service: ConfiguredService, lines: number): Promise<string[]> {
    try {
      const result = await runDocker(
        this.#cli,
        composeCommands.logs(this.project, service.definition.name, lines, false),
      );
      return (result.stdout + result.stderr).trim().split("\n").filter((l) => l).slice(-lines);
    } catch {
      return [];
    }
  }
}

/** The parts of a compose model that name host folders. */
interface ModelMounts {
  services?: Record<string, { volumes?: { type?: string; source?: string }[] }>;
  volumes?: Record<string, { driver_opts?: Record<string, string> } | null>;
}

/** Host folders a compose model mounts that lie under one of `roots`. */
export function hostFolders(model: ModelMounts, roots: readonly string[]): string[] {
  const under = (path: string) => roots.some((r) => path === r || path.startsWith(r + "/"));
  const folders = new Set<string>();
  for (const volume of Object.values(model.volumes ?? {})) {
    const device = volume?.driver_opts?.device;
    if (device && /\bbind\b/.test(volume?.driver_opts?.o ?? "") && under(device)) {
      folders.add(device);
    }
  }
  for (const service of Object.values(model.services ?? {})) {
    for (const mount of service.volumes ?? []) {
      if (mount.type === "bind" && mount.source && under(mount.source)) folders.add(mount.source);
    }
  }
  return [...folders].sort();
}

/** The error lines of compose's output (its progress lines say little), else its last lines. */
export function composeError(stderr: string): string {
  const errors = stderr.split("\n").filter((l) => /error|failed|unhealthy|dependency/i.test(l));
  return (errors.length ? errors.slice(-3).join("\n") : lastLines(stderr, 3)).trim();
}

function elapsed(began: number): number {
  return Math.round(performance.now() - began);
}

/** Whether docker failed because a container went away while it was being read. */
function containerVanished(stderr: string): boolean {
  return /No such (object|container)/i.test(stderr);
}
