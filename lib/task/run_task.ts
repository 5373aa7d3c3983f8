import { loadEnvironment, selectEnvironment } from "../config/mod.ts";
import type { Environment } from "../config/mod.ts";
import { type ExitCode, UsageError } from "../errors.ts";
import { Output } from "../output/output.ts";
import { runtimeFor } from "../runtime/mod.ts";
import type { Runtime } from "../runtime/runtime.ts";
import { suggest } from "../cli/suggest.ts";
import type { AnyTask } from "./define_task.ts";
import { createTaskContext } from "./task_context.ts";

/** How to run a task from code (the CLI, the dashboard, tests, other programs). */
export interface RunTaskOptions {
  /** Environment name or YAML path (default `$OPS_ENV` or `local`). */
  env?: string;
  /** An already loaded environment (skips loading). */
  environment?: Environment;
  /** A runtime to use instead of the environment's own. */
  runtime?: Runtime;
  options?: Record<string, unknown>;
  args?: string[];
  yes?: boolean;
  force?: boolean;
  output?: Output;
  signal?: AbortSignal;
  /** Answers confirmations (the dashboard's dialog). */
  ask?: (question: string) => Promise<string | null>;
  /**
   * Called when the runtime moved services to addresses this process may not
   * connect to (`host:port`): the CLI runs itself again with access to them.
   */
  onDeniedAddresses?: (addresses: string[], task: AnyTask) => Promise<void>;
}

/** A task's typed result and the exit code it means. */
export interface TaskOutcome<R = unknown> {
  result: R;
  exitCode: ExitCode;
}

/** Finds a task by id. @throws {UsageError} naming the closest id. */
export function findTask(tasks: readonly AnyTask[], id: string): AnyTask {
  const task = tasks.find((t) => t.id === id);
  if (task) return task;
  const guess = suggest(id, tasks.map((t) => t.id));
  throw new UsageError(
    `unknown task ${JSON.stringify(id)}`,
    guess ? `did you mean '${guess}'? run ./ops to list tasks` : "run ./ops to list tasks",
  );
}

/**
 * Runs a task with defaults filled in and returns its typed result.
 * @throws {OpsError} subclasses with their exit codes.
 */
export async function runTask<R = unknown>(
  task: AnyTask,
  options: RunTaskOptions = {},
): Promise<TaskOutcome<R>> {
  const output = options.output ?? new Output();
  const values: Record<string, unknown> = {};
  for (
    const [name, spec] of Object.entries(task.options as Record<string, { default?: unknown }>)
  ) {
    if (spec.default !== undefined) values[name] = spec.default;
  }
  Object.assign(values, options.options ?? {});
  const environment = options.environment ?? await loadEnvironment(selectEnvironment(options.env), {
    // only tasks that start or change services create missing generated secrets
    generatedSecrets: task.permissions === "ops" ? "create" : "read",
    snapshot: task.observesOnly === true,
  });
  const runtime = options.runtime ??
    (task.needsEnvironment === false && environment.runtime !== "native"
      ? undefined
      : runtimeFor(environment));
  if (task.needsEnvironment !== false && runtime?.resolveAddresses) {
    await runtime.resolveAddresses();
    if (options.onDeniedAddresses) {
      const { deniedAddresses } = await import("../cli/rerun_with_net.ts");
      const denied = deniedAddresses(environment);
      if (denied.length > 0) await options.onDeniedAddresses(denied, task);
    }
  }
  const ctx = createTaskContext({
    environment,
    runtime: runtime as Runtime,
    output,
    signal: options.signal ?? new AbortController().signal,
    yes: options.yes ?? false,
    force: options.force ?? false,
    ...(options.ask ? { ask: options.ask } : {}),
  });
  // a dry run changes nothing, so it needs no --force even where the real run would
  if (task.dangerous && environment.protected && !options.force && values["dry-run"] !== true) {
    throw new UsageError(
      `${task.id} is refused in the protected environment ${JSON.stringify(environment.name)}`,
      "add --force if you really mean it",
    );
  }
  const result = await task.run(ctx, { options: values as never, args: options.args ?? [] }) as R;
  return { result, exitCode: task.exitCode?.(result) ?? 0 };
}
