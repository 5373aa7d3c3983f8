import { loadEnvironment, selectEnvironment } from "../config/mod.ts";
import type { Environment } from "../config/mod.ts";
import { type ExitCode, UsageError } from "../errors.ts";
import { Output } from "../output/output.ts";
import { resolveTyped } from "../project_paths.ts";
import { loadRuntime } from "../runtime/load_runtime.ts";
import type { Runtime } from "../runtime/runtime.ts";
import type { AnyTask } from "./define_task.ts";
import { createTaskContext } from "./task_context.ts";
import type { Grants } from "../cli/rerun_with_grants.ts";

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
   * Called when this run needs what its permission set does not give: the
   * addresses the runtime moved services to, the environment's folders
   * outside the project, output files, the runtime's programs. The CLI runs
   * itself again with exactly those granted.
   */
  onDenied?: (grants: Grants, task: AnyTask) => Promise<void>;
}

/** A task's typed result and the exit code it means. */
export interface TaskOutcome<R = unknown> {
  result: R;
  exitCode: ExitCode;
}

export { findTask } from "./find_task.ts";

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
  // the grants module loads while the environment is read
  const grantsModule = options.onDenied && task.permissions !== "setup"
    ? import("../cli/rerun_with_grants.ts")
    : undefined;
  const outputGrants = await resolveOutputPaths(task, values);
  const environment = options.environment ?? await loadEnvironment(selectEnvironment(options.env), {
    // only tasks that start or change services create missing generated secrets
    generatedSecrets: task.permissions === "ops" ? "create" : "read",
    snapshot: task.snapshotSuffices === true,
  });
  const runtime = options.runtime ??
    (task.needsEnvironment === false && environment.runtime !== "native"
      ? undefined
      : await loadRuntime(environment));
  // awaited only when loading: an in-process run (the dashboard's actions) reaches its task
  // without an extra turn, so a cancel right after the start still finds the task listening
  const grants = grantsModule ? await grantsModule : undefined;
  // what this run needs beyond its set, all of it each time (a run started with some
  // grants may find it needs more, and is started again with the whole list)
  let wanted: Grants | undefined;
  if (grants) {
    const own = await task.needs?.({
      options: values as never,
      args: options.args ?? [],
      environment,
    }) ?? {};
    wanted = {
      net: own.net ?? [],
      write: [
        ...(task.permissions === "ops" ? [environment.stateDir, environment.backupDir] : []),
        ...outputGrants,
        ...(own.write ?? []),
      ],
      run: grants.installed([
        ...(environment.runtime === "native" || task.needsEnvironment === false
          ? []
          : dockerPrograms()),
        ...(task.programs?.(values as never) ?? []),
      ]),
    };
    // the runtime finds its services' addresses with its programs (docker): grant those first
    if (!grants.allGranted(wanted)) {
      // run from the command line: ./ops grants the environment's folders up front next time
      const remember = task.permissions === "ops" && !options.environment
        ? {
          key: grants.typedEnvironmentKey(selectEnvironment(options.env)),
          write: [environment.stateDir, environment.backupDir],
        }
        : undefined;
      await options.onDenied!({ ...wanted, ...(remember ? { remember } : {}) }, task);
    }
  }
  if (
    task.needsEnvironment !== false && task.reachesServices !== false && runtime?.resolveAddresses
  ) {
    await runtime.resolveAddresses();
  }
  if (grants && wanted && task.needsEnvironment !== false) {
    wanted.net.push(
      ...grants.serviceAddresses(environment),
      ...(runtime?.reachableAddresses?.() ?? []),
    );
    if (!grants.allGranted(wanted)) await options.onDenied!(wanted, task);
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

/** The Docker CLI a container runtime runs (`$OPS_DOCKER` or `docker`). */
function dockerPrograms(): string[] {
  return [Deno.env.get("OPS_DOCKER") ?? "docker"];
}

/**
 * Makes each output option (`health --junit FILE`) absolute, relative to the
 * folder the command was typed in, and returns the paths writing it needs.
 */
async function resolveOutputPaths(
  task: AnyTask,
  values: Record<string, unknown>,
): Promise<string[]> {
  const needed: string[] = [];
  for (
    const [name, spec] of Object.entries(
      task.options as Record<string, { output?: boolean | "folder" }>,
    )
  ) {
    const value = values[name];
    if (!spec.output || typeof value !== "string" || value === "") continue;
    if (spec.output === "folder") {
      const folder = resolveTyped(value);
      values[name] = folder;
      needed.push(folder);
      continue;
    }
    const { outputTarget } = await import("../cli/rerun_with_grants.ts");
    const target = outputTarget(value);
    values[name] = target.path;
    needed.push(...target.grants);
  }
  return needed;
}
