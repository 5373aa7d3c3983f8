import type { Environment } from "../config/mod.ts";
import { errorMessage, UsageError } from "../errors.ts";
import { dependencyWaves, dependentsOf } from "../graph/mod.ts";
import type { Runtime } from "../runtime/runtime.ts";
import type { AnyTask } from "../task/define_task.ts";
import type { runTask } from "../task/run_task.ts";
import { type ActionRequest, ActionRunner } from "./action_runner.ts";
import { auditLogPath } from "./audit_log.ts";
import { lastBackups } from "./last_backups.ts";
import { type LogStream, type LogStreamOptions, RuntimeLogStream } from "./log_stream.ts";
import { ProcessSampler } from "./process_metrics.ts";
import {
  type ActionRecord,
  lifecycleOf,
  type ServiceSnapshot,
  type StackSnapshot,
} from "./stack_snapshot.ts";
import { dependencyMap, type ServiceStatus, stackStatus } from "./stack_status.ts";
import { describeTask, type TaskSummary } from "./task_summary.ts";
import type { ScheduleStatus } from "../schedule/schedule_state.ts";

/**
 * The one interface the dashboard (and `status --watch`) depends on: a
 * snapshot of plain data, a way to hear about changes, and named actions.
 * Components render snapshots and call actions; they never probe or open a
 * connection themselves.
 */
export interface StackModel {
  /** The current state (the same object until something changes). */
  snapshot(): StackSnapshot;
  /** Calls `listener` after each change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /** Every registry task as plain data (menus, palette, forms). */
  tasks(): readonly TaskSummary[];
  /** Runs a task by id with options; resolves with its record (also in the history). */
  run(request: ActionRequest): Promise<ActionRecord>;
  /** Starts a service (its `<service>:start` task). */
  start(service: string, options?: ServiceActionOptions): Promise<ActionRecord>;
  /** Stops a service (its `<service>:stop` task). */
  stop(service: string, options?: ServiceActionOptions): Promise<ActionRecord>;
  /** Restarts a service (its `<service>:restart` task). */
  restart(service: string, options?: ServiceActionOptions): Promise<ActionRecord>;
  /** Cancels a running action by id. */
  cancel(actionId: number): void;
  /** Polls the status now. */
  refresh(): Promise<void>;
  /** Follows the logs of the named services (all merged when several). */
  logs(services: readonly string[], options?: LogStreamOptions): LogStream;
}

/** How a named service action runs: everything of a request but the task id. */
export type ServiceActionOptions = Omit<ActionRequest, "taskId">;

/** What a model runs actions with. */
export interface ModelActions {
  tasks: readonly AnyTask[];
  runTask: typeof runTask;
  /** The environment actions run in, when it differs from the observed one. */
  environment?: Environment;
  runtime?: Runtime;
}

/** Options of {@link LiveStackModel}. */
export interface LiveStackModelOptions {
  environment: Environment;
  runtime: Runtime;
  /**
   * The task registry and the function that runs a task (`runTask`):
   * without them the model only observes (as `status --watch` does).
   */
  actions?: ModelActions;
  /** Status poll interval (default 2000 ms). */
  intervalMs?: number;
  /** CPU, memory and backup poll interval (default 10000 ms). */
  slowIntervalMs?: number;
  /** Collect CPU, memory and backup ages (default true). */
  metrics?: boolean;
  /** Append finished actions to `<stateDir>/audit.log` (default true). */
  audit?: boolean;
}

interface SlowFigures {
  cpu: Map<string, { pid: number; cpuPercent: number | null; memoryKb: number }>;
  backups: Map<string, string | null>;
  schedules?: ScheduleStatus[];
}

/**
 * The stack model over a real environment: probes every service on its own
 * timer (never on the render loop), samples CPU, memory and backup ages on a
 * slower one, and runs registry tasks as actions.
 */
export class LiveStackModel implements StackModel {
  readonly #environment: Environment;
  readonly #runtime: Runtime;
  #summaries: readonly TaskSummary[];
  readonly #intervalMs: number;
  readonly #slowIntervalMs: number;
  readonly #metrics: boolean;
  readonly #runner: ActionRunner;
  readonly #listeners = new Set<() => void>();
  readonly #sampler = new ProcessSampler();
  readonly #graph: Record<string, string[]>;
  readonly #waves: string[][];
  #statuses: ServiceStatus[] | undefined;
  #slow: SlowFigures = { cpu: new Map(), backups: new Map() };
  #pids = new Map<string, number>();
  #restarts = new Map<string, number>();
  #snapshot: StackSnapshot;
  #updatedAt: string | null = null;
  #metricsAt: string | null = null;
  #error: string | null = null;
  #timers = new Set<ReturnType<typeof setTimeout>>();
  #polling: Promise<void> | undefined;
  #slowPolling: Promise<void> | undefined;
  #started = false;
  #slowPolls = 0;
  #closed = false;

  constructor(options: LiveStackModelOptions) {
    this.#environment = options.environment;
    this.#runtime = options.runtime;
    const tasks = options.actions?.tasks ?? [];
    this.#summaries = tasks.map(describeTask);
    this.#intervalMs = options.intervalMs ?? 2000;
    this.#slowIntervalMs = options.slowIntervalMs ?? 10_000;
    this.#metrics = options.metrics ?? true;
    this.#graph = dependencyMap(options.environment);
    let waves: string[][] = [];
    try {
      waves = dependencyWaves(this.#graph);
    } catch {
      waves = [Object.keys(this.#graph)];
    }
    this.#waves = waves;
    this.#runner = new ActionRunner({
      environment: options.environment,
      runtime: options.runtime,
      tasks,
      runTask: options.actions?.runTask ?? (() => {
        throw new UsageError("this stack model only observes: it runs no task");
      }),
      ...(options.audit === false ? {} : { auditLog: auditLogPath(options.environment.stateDir) }),
      onChange: () => this.#publish(),
      // an action changes states, and may add a backup: poll both at once
      onFinished: () => {
        void this.refresh();
        if (this.#metrics) void this.#pollSlow();
      },
    });
    this.#snapshot = this.#build();
  }

  /** Starts polling: the first status poll begins at once. */
  open(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    this.#loop(() => this.refresh(), () => this.#intervalMs);
    // CPU needs two samples: the second one comes after one fast interval, then the slow pace
    if (this.#metrics) {
      this.#loop(
        () => this.#pollSlow(),
        () => (this.#cpuBaselineMissing() ? this.#intervalMs : this.#slowIntervalMs),
      );
    }
  }

  /**
   * Gives the model its actions later, with the environment and runtime they
   * run with when the model observes a lighter one (the dashboard draws its
   * first frame before the registry and the full environment have loaded).
   */
  enableActions(actions: ModelActions): void {
    this.#summaries = actions.tasks.map(describeTask);
    this.#runner.use(actions);
    this.#publish();
  }

  /** Stops polling, cancels running actions and waits (a bounded time) until they are recorded. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#runner.cancelAll();
    await this.#runner.settled();
  }

  snapshot(): StackSnapshot {
    return this.#snapshot;
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  tasks(): readonly TaskSummary[] {
    return this.#summaries;
  }

  run(request: ActionRequest): Promise<ActionRecord> {
    return this.#runner.run(request);
  }

  start(service: string, options: ServiceActionOptions = {}): Promise<ActionRecord> {
    return this.run({ ...options, taskId: `${service}:start` });
  }

  stop(service: string, options: ServiceActionOptions = {}): Promise<ActionRecord> {
    return this.run({ ...options, taskId: `${service}:stop` });
  }

  restart(service: string, options: ServiceActionOptions = {}): Promise<ActionRecord> {
    return this.run({ ...options, taskId: `${service}:restart` });
  }

  cancel(actionId: number): void {
    this.#runner.cancel(actionId);
  }

  refresh(): Promise<void> {
    // One poll at a time: a refresh asked during a poll waits for it and polls again.
    const previous = this.#polling ?? Promise.resolve();
    const next = previous.then(() => this.#pollFast());
    this.#polling = next.finally(() => {
      if (this.#polling === next) this.#polling = undefined;
    });
    return next;
  }

  logs(services: readonly string[], options: LogStreamOptions = {}): LogStream {
    const selected = this.#environment.services.filter((s) => services.includes(s.definition.name));
    return new RuntimeLogStream(this.#runtime, selected, options);
  }

  #cpuBaselineMissing(): boolean {
    // before the first status nothing was sampled: come back soon
    if (this.#statuses === undefined) return true;
    return this.#slowPolls < 4 &&
      this.#statuses.some((s) =>
        s.pid !== null && (this.#slow.cpu.get(s.name)?.cpuPercent ?? null) === null
      );
  }

  #loop(poll: () => Promise<void>, intervalMs: () => number): void {
    const tick = async () => {
      if (this.#closed) return;
      await poll().catch(() => {});
      if (this.#closed) return;
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        void tick();
      }, intervalMs());
      this.#timers.add(timer);
    };
    void tick();
  }

  async #pollFast(): Promise<void> {
    if (this.#closed) return;
    try {
      const status = await stackStatus(
        this.#environment,
        this.#runtime,
        AbortSignal.timeout(Math.max(3000, this.#intervalMs * 2)),
      );
      this.#countRestarts(status.services);
      this.#statuses = status.services;
      this.#updatedAt = new Date().toISOString();
      this.#error = null;
    } catch (error) {
      this.#error = errorMessage(error);
    }
    this.#publish();
  }

  #pollSlow(): Promise<void> {
    // the timer and a finished action may both ask: one sample at a time
    this.#slowPolling ??= this.#sampleSlow().finally(() => (this.#slowPolling = undefined));
    return this.#slowPolling;
  }

  async #sampleSlow(): Promise<void> {
    if (this.#closed) return;
    const running = (this.#statuses ?? []).filter((s) => s.pid !== null);
    const [figures, backups, schedules] = await Promise.all([
      this.#sampler.sample(running.map((s) => s.pid!)).catch(() => new Map()),
      lastBackups(
        this.#environment.backupDir,
        this.#environment.services.map((s) => s.definition.name),
      ),
      // loaded here: croner stays off the status path
      import("../schedule/schedule_status.ts").then((m) => m.scheduleStatuses(this.#environment))
        .catch(() => undefined),
    ]);
    const cpu: SlowFigures["cpu"] = new Map();
    for (const s of running) {
      const f = figures.get(s.pid!);
      if (f) cpu.set(s.name, { pid: s.pid!, cpuPercent: f.cpuPercent, memoryKb: f.memoryKb });
    }
    this.#slow = { cpu, backups, ...(schedules ? { schedules } : {}) };
    this.#slowPolls++;
    this.#metricsAt = new Date().toISOString();
    this.#publish();
  }

  #countRestarts(services: readonly ServiceStatus[]): void {
    for (const s of services) {
      const before = this.#pids.get(s.name);
      if (s.pid === null) continue;
      if (before !== undefined && before !== s.pid) {
        this.#restarts.set(s.name, (this.#restarts.get(s.name) ?? 0) + 1);
      }
      this.#pids.set(s.name, s.pid);
    }
  }

  #publish(): void {
    this.#snapshot = this.#build();
    for (const listener of this.#listeners) listener();
  }

  #build(): StackSnapshot {
    const byName = new Map((this.#statuses ?? []).map((s) => [s.name, s]));
    const services: ServiceSnapshot[] = this.#environment.services.map((configured) => {
      const name = configured.definition.name;
      const status: ServiceStatus = byName.get(name) ?? {
        name,
        state: "stopped",
        healthy: false,
        latencyMs: null,
        pid: null,
        port: configured.port ?? null,
        detail: this.#statuses ? "unknown" : "probing...",
        startedAt: null,
        uptimeSeconds: null,
        crashRestarts: null,
        dependsOn: Object.keys(configured.definition.dependsOn),
      };
      const cpu = this.#slow.cpu.get(name);
      const current = cpu && cpu.pid === status.pid ? cpu : undefined;
      const waitingOn = Object.entries(configured.definition.dependsOn).filter(
        ([dep, condition]) => {
          const d = byName.get(dep);
          if (!d) return true;
          return condition === "healthy"
            ? !d.healthy
            : !(d.state === "running" || d.state === "starting");
        },
      ).map(([dep]) => dep);
      return {
        ...status,
        description: configured.definition.description,
        lifecycle: lifecycleOf(status.state, status.healthy),
        restarts: this.#restarts.get(name) ?? 0,
        cpuPercent: current?.cpuPercent ?? null,
        memoryKb: current?.memoryKb ?? null,
        lastBackupAt: this.#slow.backups.get(name) ?? null,
        dependents: dependentsOf(this.#graph, name),
        waitingOn: this.#statuses ? waitingOn : [],
        capabilities: [...configured.definition.capabilities],
      };
    });
    return {
      environment: this.#environment.name,
      protected: this.#environment.protected,
      runtime: this.#environment.runtime,
      updatedAt: this.#updatedAt,
      metricsAt: this.#metricsAt,
      services,
      waves: this.#waves,
      error: this.#error,
      running: this.#runner.running,
      history: this.#runner.history,
      ...(this.#slow.schedules ? { schedules: this.#slow.schedules } : {}),
    };
  }
}
