import { UsageError } from "../errors.ts";
import type { ActionRequest } from "./action_runner.ts";
import type { LogLine, LogSnapshot, LogStream } from "./log_stream.ts";
import type { ActionRecord, StackSnapshot } from "./stack_snapshot.ts";
import type { ServiceActionOptions, StackModel } from "./stack_model.ts";
import type { TaskSummary } from "./task_summary.ts";

/** Options of {@link StaticStackModel}. */
export interface StaticStackModelOptions {
  snapshot: StackSnapshot;
  tasks?: readonly TaskSummary[];
  /** Lines every log stream serves. */
  logLines?: readonly Omit<LogLine, "seq">[];
  /** Decides the outcome of an action (default: exit 0, "done"). */
  onRun?: (
    request: ActionRequest,
  ) => Promise<Partial<Pick<ActionRecord, "exitCode" | "message" | "output">>>;
}

/**
 * A stack model over data given in advance: the dashboard renders it the
 * same way as a live one. Used to preview layouts, to benchmark rendering
 * with many services and to test components; it records every action asked
 * of it in `requests` and keeps a history like the live model.
 */
export class StaticStackModel implements StackModel {
  /** Every action request received, in order. */
  readonly requests: ActionRequest[] = [];
  /** Services whose logs were opened, per call. */
  readonly logRequests: string[][] = [];
  readonly #options: StaticStackModelOptions;
  readonly #listeners = new Set<() => void>();
  #snapshot: StackSnapshot;
  #nextId = 1;

  constructor(options: StaticStackModelOptions) {
    this.#options = options;
    this.#snapshot = options.snapshot;
  }

  /** Replaces the snapshot and notifies subscribers (as a poll would). */
  setSnapshot(snapshot: StackSnapshot): void {
    this.#snapshot = snapshot;
    for (const listener of this.#listeners) listener();
  }

  snapshot(): StackSnapshot {
    return this.#snapshot;
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  tasks(): readonly TaskSummary[] {
    return this.#options.tasks ?? [];
  }

  async run(request: ActionRequest): Promise<ActionRecord> {
    const task = this.tasks().find((t) => t.id === request.taskId);
    if (!task) throw new UsageError(`unknown task ${JSON.stringify(request.taskId)}`);
    this.requests.push(request);
    const startedAt = new Date().toISOString();
    const outcome: Partial<Pick<ActionRecord, "exitCode" | "message" | "output">> =
      await this.#options.onRun?.(request) ?? {};
    const record: ActionRecord = {
      id: this.#nextId++,
      taskId: request.taskId,
      service: task.service,
      options: request.options ?? {},
      args: request.args ?? [],
      startedAt,
      finishedAt: new Date().toISOString(),
      durationMs: 0,
      exitCode: outcome.exitCode ?? 0,
      message: outcome.message ?? "done",
      hint: null,
      output: outcome.output ?? [],
    };
    this.setSnapshot({ ...this.#snapshot, history: [...this.#snapshot.history, record] });
    return record;
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

  cancel(_actionId: number): void {}

  refresh(): Promise<void> {
    return Promise.resolve();
  }

  logs(services: readonly string[]): LogStream {
    this.logRequests.push([...services]);
    return new StaticLogStream(services, this.#options.logLines ?? []);
  }
}

/** A log stream over fixed lines. */
class StaticLogStream implements LogStream {
  readonly services: readonly string[];
  readonly #snapshot: LogSnapshot;

  constructor(services: readonly string[], lines: readonly Omit<LogLine, "seq">[]) {
    this.services = services;
    const wanted = new Set(services);
    this.#snapshot = {
      version: 1,
      lines: lines.filter((l) => wanted.has(l.service)).map((l, i) => ({ ...l, seq: i + 1 })),
      dropped: 0,
    };
  }

  snapshot(): LogSnapshot {
    return this.#snapshot;
  }

  subscribe(_listener: () => void): () => void {
    return () => {};
  }

  close(): void {}
}
