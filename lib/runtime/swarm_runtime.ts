import { join } from "../posix_path.ts";
import type { ConfiguredService, Environment } from "../config/mod.ts";
import { FailedError, UsageError } from "../errors.ts";
import { composeCommands } from "./compose_commands.ts";
import { type ComposeProject, composeProject, composeSecretsDir } from "./compose_project.ts";
import { ComposeRuntime } from "./compose_runtime.ts";
import { childLogLines } from "./child_log_lines.ts";
import { type DockerCli, dockerOutput, lastLines, runDocker, spawnDocker } from "./docker_cli.ts";
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
import { at, type SwarmEngines, swarmEngines } from "./swarm_engines.ts";
import { moveImages } from "./swarm_images.ts";
import { readSwarmNodes, type SwarmNode } from "./swarm_nodes.ts";
import { readDesiredStack, writeDesiredStack } from "./swarm_desired.ts";
import {
  imagesOf,
  type MergedCompose,
  renderSwarmStack,
  statefulServicesOf,
  swarmStateDir,
} from "./swarm_stack.ts";
import { readDesiredReplicas, readSwarmTasks, type SwarmTask } from "./swarm_tasks.ts";
import { swarmProcessInfo } from "./swarm_state.ts";
import { containerProgram } from "./compose_commands.ts";
import { environmentArgument } from "../config/environment_argument.ts";

/** Options of {@link SwarmRuntime}. */
export interface SwarmRuntimeOptions {
  /** How long a start or scale waits for healthy replicas (default 600 s). */
  waitTimeoutSeconds?: number;
}

/** What the runtime read of the cluster in one look. */
export interface SwarmSnapshot {
  tasks: SwarmTask[];
  desired: Map<string, number>;
  nodes: SwarmNode[];
}

/**
 * Runs the stack on a Docker Swarm: the stack file is rendered from the
 * environment's compose files (see {@link renderSwarmStack}) and deployed with
 * `docker stack deploy` on the manager; a start or stop changes the service's
 * replicas in it (0 when stopped) and waits for the swarm to converge with
 * healthy containers. State, health, exec and logs reach each node's engine
 * (its socket on a local cluster, `ssh://` on real hosts). Images come from
 * this host's engine (`docker save | docker load`), never from a registry.
 */
export class SwarmRuntime implements Runtime {
  readonly kind = "swarm" as const;
  readonly environment: Environment;
  /** The stack name: `swarm.stack`, else `hailmary-<env>`. */
  readonly stack: string;
  readonly project: ComposeProject;
  readonly #cli: DockerCli;
  readonly #waitTimeoutSeconds: number;
  #engines: Promise<SwarmEngines> | undefined;
  /** Deploys run one at a time: parallel starts of a wave each change the same stack. */
  #queue: Promise<unknown> = Promise.resolve();
  #mountsReady: Promise<void> | undefined;
  #imagesMoved = new Set<string>();
  /** The running containers seen last (exec reaches them). */
  #tasks: SwarmTask[] = [];
  /** The nodes' addresses seen last. */
  #nodeAddresses: string[] = [];

  constructor(environment: Environment, options: SwarmRuntimeOptions = {}) {
    this.environment = environment;
    this.stack = environment.swarm?.stack ?? `hailmary-${environment.name}`;
    this.project = composeProject(environment);
    this.#cli = { program: "docker", env: { ...Deno.env.toObject(), ...this.project.variables } };
    this.#waitTimeoutSeconds = options.waitTimeoutSeconds ?? 600;
  }

  /** The engines of the cluster (read once). */
  engines(): Promise<SwarmEngines> {
    this.#engines ??= swarmEngines(this.environment);
    return this.#engines;
  }

  /** Tasks, desired replicas and nodes, read now. */
  async snapshot(): Promise<SwarmSnapshot> {
    const engines = await this.engines();
    const [tasks, desired, nodes] = await Promise.all([
      readSwarmTasks(this.#cli, engines.nodes, this.stack),
      readDesiredReplicas(this.#cli, engines.manager, this.stack),
      readSwarmNodes(this.#cli, engines.manager),
    ]);
    this.#tasks = tasks;
    return { tasks, desired, nodes };
  }

  /** The running containers of a service (or all), as last read by {@link snapshot}. */
  async tasks(service?: string): Promise<SwarmTask[]> {
    const { tasks } = await this.snapshot();
    return service ? tasks.filter((t) => t.service === service) : tasks;
  }

  async inspect(service: ConfiguredService): Promise<ProcessInfo> {
    return (await this.inspectAll([service]))[0]!;
  }

  async inspectAll(services: readonly ConfiguredService[]): Promise<ProcessInfo[]> {
    const snapshot = await this.snapshot();
    this.#assignAddresses(snapshot);
    return services.map((s) => swarmProcessInfo(s.definition.name, snapshot));
  }

  /**
   * Points each service at the node address of one of its running replicas:
   * its port is published there (host mode), which this host reaches (a
   * local cluster through its host link).
   */
  async resolveAddresses(): Promise<void> {
    try {
      this.#assignAddresses(await this.snapshot());
    } catch {
      // no cluster yet: the task's own call says so
    }
  }

  reachableAddresses(): string[] {
    const ports = this.environment.services.flatMap((s) => s.port === undefined ? [] : [s.port]);
    return this.#nodeAddresses.flatMap((address) => ports.map((port) => `${address}:${port}`));
  }

  #assignAddresses(snapshot: SwarmSnapshot): void {
    this.#nodeAddresses = snapshot.nodes.map((n) => n.address).filter((a) => a !== "").sort();
    const address = new Map(snapshot.nodes.map((n) => [n.name, n.address]));
    for (const service of this.environment.services) {
      const task = snapshot.tasks.find((t) => t.service === service.definition.name);
      const host = task ? address.get(task.node.name) : undefined;
      if (host && service.port !== undefined) service.host = host;
    }
  }

  async start(service: ConfiguredService, options: StartOptions = {}): Promise<LifecycleResult> {
    const began = performance.now();
    const name = service.definition.name;
    const before = await this.inspect(service);
    const replicas = await this.#serialised(async () => {
      const desired = await readDesiredStack(this.environment);
      const wanted = desired.running[name] ?? desired.scale[name] ??
        this.environment.swarm?.replicas?.[name] ?? 1;
      desired.running[name] = wanted;
      await this.#deploy(desired.running, options.signal, [name]);
      await writeDesiredStack(this.environment, desired);
      return wanted;
    });
    const info = await this.#waitConverged(service, replicas, options.signal);
    const action = before.state === "running" ? "already running" : "started";
    return { service: name, action, pid: info.pid, durationMs: elapsed(began) };
  }

  async stop(service: ConfiguredService): Promise<LifecycleResult> {
    const began = performance.now();
    const name = service.definition.name;
    const before = await this.inspect(service);
    await this.#serialised(async () => {
      const desired = await readDesiredStack(this.environment);
      if (desired.running[name] !== undefined) desired.scale[name] = desired.running[name]!;
      delete desired.running[name];
      if (Object.keys(desired.running).length === 0) {
        await this.#removeStack();
      } else {
        await this.#deploy(desired.running);
      }
      await writeDesiredStack(this.environment, desired);
    });
    await this.#waitGone(name);
    return {
      service: name,
      action: before.state === "stopped" ? "already stopped" : "stopped",
      pid: before.pid,
      durationMs: elapsed(began),
    };
  }

  async scale(service: ConfiguredService, replicas: number): Promise<ScaleResult> {
    const began = performance.now();
    const name = service.definition.name;
    await this.#serialised(async () => {
      const desired = await readDesiredStack(this.environment);
      desired.running[name] = replicas;
      desired.scale[name] = replicas;
      await this.#deploy(desired.running, undefined, [name]);
      await writeDesiredStack(this.environment, desired);
    });
    const info = await this.#waitConverged(service, replicas);
    return { service: name, replicas: info.replicas ?? 1, durationMs: elapsed(began) };
  }

  async *logs(service: ConfiguredService, options: LogOptions): AsyncIterable<string> {
    const engines = await this.engines();
    const child = spawnDocker(this.#cli, [
      ...at(engines.manager, "service", "logs", "--no-task-ids", "--tail", String(options.tail)),
      ...(options.follow ? ["--follow"] : []),
      `${this.stack}_${service.definition.name}`,
    ]);
    // every replica's lines, merged by the manager, each prefixed with its task and node
    yield* childLogLines(child, service.definition.name, options.signal);
  }

  /**
   * Runs a client program in a running container of the service, on the node
   * that runs it (its engine), streaming stdin and stdout like a local process.
   * @throws {FailedError} when no container of the service was running at the last look.
   */
  exec(service: ConfiguredService, argv: string[], options: ExecOptions = {}): Deno.ChildProcess {
    const [program, ...args] = argv;
    if (program === undefined) throw new UsageError("exec needs a program");
    const name = service.definition.name;
    const task = this.#tasks.find((t) => t.service === name);
    if (!task) {
      throw new FailedError(`${name} has no running container in the stack ${this.stack}`, {
        hint: `start it: ./ops ${name}:start --env ${environmentArgument(this.environment)}`,
      });
    }
    const env = options.env ?? {};
    const stdin = options.stdin ?? "null";
    return spawnDocker({ ...this.#cli, env: { ...this.#cli.env, ...env } }, [
      ...at(task.node, "exec"),
      ...(stdin === "null" ? [] : ["--interactive"]),
      ...Object.keys(env).flatMap((n) => ["--env", n]),
      ...(options.cwd ? ["--workdir", options.cwd] : []),
      task.containerId,
      containerProgram(program),
      ...args,
    ], { stdin, stdout: options.stdout ?? "piped", stderr: options.stderr ?? "piped" });
  }

  /** The nodes of the swarm, as the manager sees them. */
  async nodes(): Promise<SwarmNode[]> {
    return await readSwarmNodes(this.#cli, (await this.engines()).manager);
  }

  /**
   * Changes a node through the manager (`docker node update FLAGS NAME`).
   * @throws {UsageError} for a node the swarm does not have, naming those it has.
   */
  async updateNode(name: string, flags: string[]): Promise<void> {
    const nodes = await this.nodes();
    if (!nodes.some((n) => n.name === name)) {
      throw new UsageError(
        `no node ${JSON.stringify(name)} in the swarm of ${this.environment.name}`,
        `nodes: ${nodes.map((n) => n.name).join(", ")} (./ops nodes --env ${
          environmentArgument(this.environment)
        })`,
      );
    }
    await dockerOutput(
      this.#cli,
      at((await this.engines()).manager, "node", "update", ...flags, name),
      `updating node ${name}`,
    );
  }

  /** The merged compose model of the environment's files. */
  async composeModel(signal?: AbortSignal): Promise<MergedCompose> {
    return JSON.parse(
      await dockerOutput(
        this.#cli,
        composeCommands.config(this.project),
        `reading the compose model of ${this.environment.name}`,
        { ...(signal ? { signal } : {}), hint: "run ./ops config:validate to see what is wrong" },
      ),
    ) as MergedCompose;
  }

  /** The stateful services (pinned to labelled nodes). */
  async statefulServices(): Promise<string[]> {
    return statefulServicesOf(await this.composeModel());
  }

  /**
   * Renders the stack with `replicas` and deploys it on the manager, after
   * getting the images of `starting` services to the nodes that may run them.
   */
  async #deploy(
    replicas: Record<string, number>,
    signal?: AbortSignal,
    starting: readonly string[] = [],
  ): Promise<void> {
    const engines = await this.engines();
    this.#mountsReady ??= new ComposeRuntime(this.environment).prepareMounts(signal);
    await this.#mountsReady;
    const model = await this.composeModel(signal);
    const images = imagesOf(model, starting).filter((i) => !this.#imagesMoved.has(i));
    if (images.length) {
      await moveImages(await this.#nodesFor(starting, model, engines), images, signal);
      for (const image of images) this.#imagesMoved.add(image);
    }
    const stackFile = await this.writeStack(model, replicas);
    const deployed = await runDocker(
      this.#cli,
      at(
        engines.manager,
        "stack",
        "deploy",
        "--resolve-image",
        "never",
        "--detach=true",
        "--compose-file",
        stackFile,
        this.stack,
      ),
      signal ? { signal } : {},
    );
    if (deployed.code !== 0) {
      throw new FailedError(
        `docker stack deploy of ${this.stack} failed: ${lastLines(deployed.stderr, 6)}`,
        {
          hint: `the stack file is ${stackFile}; run ./ops config:validate --env ${
            environmentArgument(this.environment)
          }`,
        },
      );
    }
  }

  /** Writes the stack file for `replicas` into the environment's state folder and returns its path. */
  async writeStack(model: MergedCompose, replicas: Record<string, number>): Promise<string> {
    const digests: Record<string, string> = {};
    for (const name of Object.keys(model.secrets ?? {})) {
      try {
        const bytes = await Deno.readFile(join(composeSecretsDir(this.environment), name));
        const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
        digests[name] = [...hash.slice(0, 5)].map((b) => b.toString(16).padStart(2, "0")).join("");
      } catch {
        // not written (a secret the environment does not resolve): the stack names it as is
      }
    }
    const stack = renderSwarmStack(this.environment, model, {
      replicas,
      secretDigests: digests,
      stack: this.stack,
    });
    const dir = swarmStateDir(this.environment);
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, "stack.yaml");
    // JSON is YAML; `docker compose config` kept a literal `$` doubled, as stack deploy reads it
    await Deno.writeTextFile(file, JSON.stringify(stack, null, 2) + "\n");
    return file;
  }

  /** Nodes that may run these services: a pinned one's labelled node, else every active node. */
  async #nodesFor(services: readonly string[], model: MergedCompose, engines: SwarmEngines) {
    const stateful = new Set(statefulServicesOf(model));
    if (services.some((s) => !stateful.has(s))) return engines.nodes;
    const nodes = await readSwarmNodes(this.#cli, engines.manager);
    const labelled = new Set(
      nodes.filter((n) => services.some((s) => n.labels[`hailmary.${s}`] === "true")).map((n) =>
        n.name
      ),
    );
    const chosen = engines.nodes.filter((n) => labelled.has(n.name));
    return chosen.length ? chosen : engines.nodes;
  }

  async #removeStack(): Promise<void> {
    const engines = await this.engines();
    await runDocker(this.#cli, at(engines.manager, "stack", "rm", this.stack));
    // the network goes only once its tasks are gone: wait, so an `up` right after can create it again
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const networks = await runDocker(
        this.#cli,
        at(
          engines.manager,
          "network",
          "ls",
          "--quiet",
          "--filter",
          `label=com.docker.stack.namespace=${this.stack}`,
        ),
      );
      if (networks.code === 0 && networks.stdout.trim() === "") return;
      await sleep(500);
    }
  }

  async #waitConverged(
    service: ConfiguredService,
    replicas: number,
    signal?: AbortSignal,
  ): Promise<ProcessInfo> {
    const name = service.definition.name;
    const deadline = Date.now() + this.#waitTimeoutSeconds * 1000;
    let info: ProcessInfo = { state: "stopped", pid: null, startedAt: null };
    while (Date.now() < deadline && !signal?.aborted) {
      const snapshot = await this.snapshot();
      this.#assignAddresses(snapshot);
      info = swarmProcessInfo(name, snapshot);
      const own = snapshot.tasks.filter((t) => t.service === name);
      const healthy = own.filter((t) => t.health === "healthy" || t.health === "").length;
      if (own.length === replicas && healthy === replicas) return info;
      await sleep(1000);
    }
    if (signal?.aborted) throw new FailedError(`start of ${name} was cancelled`);
    throw new FailedError(
      `${name} did not get ${replicas} healthy replica(s) within ${this.#waitTimeoutSeconds} s (${
        info.health?.detail ?? info.state
      }): ${await this.#taskErrors(name)}`,
      { hint: `read ./ops ${name}:logs --env ${environmentArgument(this.environment)}` },
    );
  }

  async #waitGone(name: string): Promise<void> {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const tasks = await readSwarmTasks(this.#cli, (await this.engines()).nodes, this.stack);
      this.#tasks = tasks;
      if (!tasks.some((t) => t.service === name)) return;
      await sleep(500);
    }
    throw new FailedError(`${name} still has running containers 120 s after it was stopped`);
  }

  /** The recent task errors of a service (`docker service ps`), for a failed start. */
  async #taskErrors(name: string): Promise<string> {
    const engines = await this.engines();
    const ps = await runDocker(
      this.#cli,
      at(
        engines.manager,
        "service",
        "ps",
        "--no-trunc",
        "--format",
        "{{.Node}} {{.CurrentState}} {{.Error}}",
        `${this.stack}_${name}`,
      ),
    );
    return lastLines(ps.stdout + ps.stderr, 4) || "no task";
  }

  #serialised<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work, work);
    this.#queue = next.catch(() => {});
    return next;
  }
}

function elapsed(began: number): number {
  return Math.round(performance.now() - began);
}
