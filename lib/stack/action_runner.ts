import type { Environment } from "../config/mod.ts";
import { BusyError, errorMessage, type ExitCode, OpsError, UsageError } from "../errors.ts";
import type { Runtime } from "../runtime/runtime.ts";
import type { AnyTask } from "../task/define_task.ts";
import type { runTask } from "../task/run_task.ts";
import { ActionOutput, type CapturedKind } from "./action_output.ts";
import { appendAuditEntry, maskOptions } from "./audit_log.ts";
import type { ActionRecord, RunningAction } from "./stack_snapshot.ts";

/** A task to run from the dashboard. */
export interface ActionRequest {
  taskId: string;
  options?: Record<string, unknown>;
  args?: string[];
  /**
   * The operator confirmed with the dashboard's typed-name dialog: acts as
   * `--force` for a protected environment (the task may still ask its own question).
   */
  force?: boolean;
  /** Answers the task's own confirmations (the dashboard's dialog). */
  ask?: (question: string) => Promise<string | null>;
}

/** Options of {@link ActionRunner}. */
export interface ActionRunnerOptions {
  environment: Environment;
  runtime: Runtime;
  tasks: readonly AnyTask[];
  /**
   * Runs one task (`runTask` of lib/task/run_task.ts). Passed in rather than
   * imported, so that the status path that shares this folder does not load
   * the task machinery and the environment loader.
   */
  runTask: typeof runTask;
  /** Where finished actions are appended as JSON lines; none when undefined. */
  auditLog?: string;
  /** Who runs the actions, for the audit log. */
  source?: string;
  /** Called whenever the running list or the history changes. */
  onChange: () => void;
  /** Called after each action finishes (to refresh the status at once). */
  onFinished?: (record: ActionRecord) => void;
}

const historyLimit = 100;
const outputLimit = 200;

/**
 * Runs registry tasks for the dashboard, tracks them while they run, keeps a
 * bounded history and appends each finished action to the audit log.
 *
 * Tasks run in-process through `runTask`, not as `mod.ts` subprocesses:
 * - the task's own confirmation (with its figures, e.g. how many keys a flush
 *   removes) reaches the operator through `ask` and the dashboard's dialog,
 *   where a subprocess without a terminal could only be run with `--yes`;
 * - the already loaded environment and runtime are reused, so an action
 *   starts at once instead of paying a Deno start-up and a config load;
 * - results come back typed, and progress messages arrive live;
 * - nothing reaches the screen: the task gets an {@link ActionOutput} in json
 *   mode that captures every line, message and warning (tasks write only
 *   through `ctx.output`, the same rule that keeps `--json` clean on the CLI).
 * The cost is that tasks run under the dashboard's permission set (`ops`)
 * rather than each under its own; tasks that need a terminal of their own
 * (pass-through ones like psql) are not offered.
 */
export class ActionRunner {
  readonly #options: ActionRunnerOptions;
  #tasks: readonly AnyTask[];
  #runTask: ActionRunnerOptions["runTask"];
  #environment: Environment;
  #runtime: Runtime;
  #nextId = 1;
  #running: RunningAction[] = [];
  #history: ActionRecord[] = [];
  #controllers = new Map<number, AbortController>();
  #inflight = new Set<Promise<ActionRecord>>();

  constructor(options: ActionRunnerOptions) {
    this.#options = options;
    this.#tasks = options.tasks;
    this.#runTask = options.runTask;
    this.#environment = options.environment;
    this.#runtime = options.runtime;
  }

  /**
   * Replaces what it runs with: the dashboard opens on a light environment
   * and gets the registry and the fully loaded environment a moment later.
   */
  use(
    actions:
      & Pick<ActionRunnerOptions, "tasks" | "runTask">
      & Partial<Pick<ActionRunnerOptions, "environment" | "runtime">>,
  ): void {
    this.#tasks = actions.tasks;
    this.#runTask = actions.runTask;
    if (actions.environment) this.#environment = actions.environment;
    if (actions.runtime) this.#runtime = actions.runtime;
  }

  /** Actions running now (a new array after each change). */
  get running(): RunningAction[] {
    return this.#running;
  }

  /** Finished actions, oldest first (a new array after each change). */
  get history(): ActionRecord[] {
    return this.#history;
  }

  /** True when an action for this service is running. */
  busy(service: string): boolean {
    return this.#running.some((r) => r.service === service);
  }

  /**
   * Runs a task and records its outcome; never throws for a task failure
   * (the record carries the exit code and the error).
   * @throws {UsageError} for an unknown task id.
   * @throws {BusyError} when an action for the same service is still running.
   */
  run(request: ActionRequest): Promise<ActionRecord> {
    const running = this.#run(request);
    this.#inflight.add(running);
    const forget = () => this.#inflight.delete(running);
    running.then(forget, forget);
    return running;
  }

  /** Resolves when every running action has finished and been recorded (or after `timeoutMs`). */
  async settled(timeoutMs = 10_000): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled([...this.#inflight]),
      new Promise((resolve) => timer = setTimeout(resolve, timeoutMs)),
    ]);
    clearTimeout(timer);
  }

  async #run(request: ActionRequest): Promise<ActionRecord> {
    const task = this.#tasks.find((t) => t.id === request.taskId);
    if (!task) {
      throw new UsageError(
        `unknown task ${JSON.stringify(request.taskId)}`,
        "run ./ops to list tasks",
      );
    }
    const service = task.service ?? null;
    if (service && this.busy(service)) {
      const current = this.#running.find((r) => r.service === service);
      throw new BusyError(
        `${current?.taskId ?? service} is still running`,
        "wait for it to finish, or cancel it with c",
      );
    }
    const id = this.#nextId++;
    const startedAt = new Date();
    const controller = new AbortController();
    this.#controllers.set(id, controller);
    const warnings: string[] = [];
    this.#update([...this.#running, {
      id,
      taskId: task.id,
      service,
      startedAt: startedAt.toISOString(),
      progress: null,
      message: null,
    }]);
    let shownAt = 0;
    const output = new ActionOutput(
      (kind, text) => {
        if (kind === "warn") warnings.push(text);
        this.#progress(id, kind, text);
      },
      "json",
      (progress) => {
        // tasks may report on every chunk: the dashboard redraws at most five times a second
        const now = performance.now();
        if (now - shownAt < 200 && progress.fraction !== 1) return;
        shownAt = now;
        this.#update(
          this.#running.map((r) =>
            r.id === id ? { ...r, message: progress.text, progress: progress.fraction } : r
          ),
        );
      },
    );
    let exitCode: number;
    let message: string;
    let hint: string | null = null;
    let lines: string[] = [];
    try {
      const outcome = await this.#runTask(task, {
        environment: this.#environment,
        runtime: this.#runtime,
        options: request.options ?? {},
        args: request.args ?? [],
        yes: false,
        force: request.force ?? false,
        output,
        signal: controller.signal,
        ...(request.ask ? { ask: request.ask } : {}),
      });
      exitCode = outcome.exitCode;
      lines = renderResult(task, outcome.result);
      message = lines.find((l) => l.trim() !== "") ??
        (exitCode === 0 ? "done" : `exited ${exitCode}`);
    } catch (error) {
      exitCode = error instanceof OpsError ? error.exitCode : 1;
      message = errorMessage(error).split("\n")[0] ?? "failed";
      lines = errorMessage(error).split("\n");
      hint = error instanceof OpsError ? error.hint ?? null : null;
      if (controller.signal.aborted) message = `cancelled: ${message}`;
    } finally {
      this.#controllers.delete(id);
    }
    const finishedAt = new Date();
    const record: ActionRecord = {
      id,
      taskId: task.id,
      service,
      options: maskOptions(request.options ?? {}),
      args: request.args ?? [],
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - startedAt.getTime(),
      exitCode: exitCode as ExitCode,
      message,
      hint,
      output: [...warnings.map((w) => `warning: ${w}`), ...lines].slice(0, outputLimit),
    };
    this.#history = [...this.#history, record].slice(-historyLimit);
    this.#update(this.#running.filter((r) => r.id !== id));
    if (this.#options.auditLog) {
      await appendAuditEntry(this.#options.auditLog, record, {
        environment: this.#environment.name,
        source: this.#options.source ?? "dashboard",
      }).catch((error) => {
        record.output.push(`warning: could not write the audit log: ${errorMessage(error)}`);
      });
    }
    this.#options.onFinished?.(record);
    return record;
  }

  /** Cancels a running action (its task sees the abort signal). */
  cancel(id: number): void {
    this.#controllers.get(id)?.abort(new OpsError("cancelled from the dashboard"));
  }

  /** Cancels every running action. */
  cancelAll(): void {
    for (const id of this.#controllers.keys()) this.cancel(id);
  }

  #update(running: RunningAction[]): void {
    this.#running = running;
    this.#options.onChange();
  }

  #progress(id: number, kind: CapturedKind, text: string): void {
    if (kind === "line") return;
    const fraction = progressFraction(text);
    this.#update(
      this.#running.map((r) =>
        r.id === id
          ? { ...r, message: text.split("\n")[0] ?? text, progress: fraction ?? r.progress }
          : r
      ),
    );
  }
}

/** A completed fraction read from a progress message ("42%", "3/10"), when it has one. */
export function progressFraction(text: string): number | null {
  const percent = /(\d{1,3}(?:\.\d+)?)\s?%/.exec(text);
  if (percent) return Math.min(1, Number(percent[1]) / 100);
  const ratio = /\b(\d+)\s?\/\s?(\d+)\b/.exec(text);
  if (ratio && Number(ratio[2]) > 0) return Math.min(1, Number(ratio[1]) / Number(ratio[2]));
  return null;
}

/** The result as the CLI would print it in plain mode. */
function renderResult(task: AnyTask, result: unknown): string[] {
  const lines: string[] = [];
  const output = new ActionOutput((_kind, text) => lines.push(...text.split("\n")), "plain");
  if (task.render) {
    try {
      task.render(result, output);
    } catch {
      lines.length = 0;
    }
  }
  if (lines.length === 0 && result !== undefined) {
    output.json(result);
  }
  return lines;
}
