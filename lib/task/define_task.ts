import type { Environment } from "../config/mod.ts";
import type { ExitCode } from "../errors.ts";
import type { Output } from "../output/output.ts";
import type { TaskContext } from "./task_context.ts";

/** One command-line option of a task. */
export type OptionSpec =
  | { type: "boolean"; description: string; default?: boolean; short?: string }
  | {
    type: "string";
    description: string;
    default?: string;
    short?: string;
    choices?: readonly string[];
    placeholder?: string;
    /**
     * A file this run writes (`--junit FILE`), or with "folder" a folder it
     * writes files in (`--textfile DIR`): made absolute against the folder the
     * command was typed in, and writable for exactly this run.
     */
    output?: boolean | "folder";
  }
  | {
    type: "number";
    description: string;
    default?: number;
    short?: string;
    min?: number;
    integer?: boolean;
    placeholder?: string;
  };

/** The option specs of a task by name. */
export type OptionSpecs = Record<string, OptionSpec>;

type ValueOf<S extends OptionSpec> = S extends { type: "boolean" } ? boolean
  : S extends { type: "number" } ? number
  : string;

/** The parsed option values a task receives; options with a default are always set. */
export type OptionValues<T extends OptionSpecs> = {
  [K in keyof T]: T[K] extends { default: unknown } ? ValueOf<T[K]> : ValueOf<T[K]> | undefined;
};

/** A positional argument. */
export interface ArgSpec {
  name: string;
  description: string;
  required?: boolean;
  /** Takes every remaining argument. */
  variadic?: boolean;
}

/** Paths a run writes and hosts it reaches beyond its permission set (see `needs`). */
export interface TaskNeeds {
  write?: string[];
  net?: string[];
}

/** Which named permission set of deno.json the task runs under. */
export type PermissionSet = "observe" | "ops" | "setup" | "cluster";

/** The input a task's `run` receives. */
export interface TaskInput<T extends OptionSpecs> {
  options: OptionValues<T>;
  args: string[];
}

/** A typed task: the same definition feeds the CLI, `--help`, deno.json, the dashboard and the library call. */
export interface TaskDefinition<T extends OptionSpecs = OptionSpecs, R = unknown> {
  /** `service:action` or a stack task name (`up`, `status`). */
  id: string;
  /** One line for `--help`, deno.json and the dashboard. */
  summary: string;
  /** The service the task acts on, for per-service menus. */
  service?: string;
  /** The action name (`start`, `backup`...), matching a service capability. */
  action: string;
  /** Permission set in deno.json. */
  permissions: PermissionSet;
  /** Destroys or replaces data: confirmation, `--yes`, `--force` in protected environments. */
  dangerous?: boolean;
  /**
   * The cached environment snapshot is enough for this task (status, health,
   * listings): it runs from the snapshot when one is current, without loading
   * the environment file's schema or importing every service definition.
   */
  snapshotSuffices?: boolean;
  /**
   * False for tasks that talk to no service themselves (deploy, rollback): the
   * runtime does not look up the services' addresses before the run (on a
   * swarm that is a look at every node).
   */
  reachesServices?: boolean;
  /** False for tasks that need no environment (setup). */
  needsEnvironment?: boolean;
  /**
   * Programs this run needs beyond its permission set (config:validate's
   * `docker compose config`): granted to the run alone, when installed.
   */
  programs?: (options: OptionValues<T>) => string[];
  /**
   * What else this run needs beyond its permission set, named exactly: files
   * it writes outside the set's folders (`/etc/cron.d/hailmary-local`) and
   * hosts it reaches (a webhook's). Granted to the run alone.
   */
  needs?: (
    input: { options: OptionValues<T>; args: string[]; environment: Environment },
  ) => Promise<TaskNeeds> | TaskNeeds;
  /** Positional arguments. */
  args?: ArgSpec[];
  /** Options. */
  options: T;
  /** Accepts unknown arguments and passes them through (psql). */
  passThrough?: boolean;
  /** Does the work; returns a typed, serialisable result. */
  run: (ctx: TaskContext, input: TaskInput<T>) => Promise<R>;
  /** Prints the result for a person (tty/plain); JSON mode prints the result itself. */
  render?: (result: R, output: Output) => void;
  /** The exit code a result means (default 0). */
  exitCode?: (result: R) => ExitCode;
}

/** A task with its option and result types erased, as the registry holds it. */
// deno-lint-ignore no-explicit-any
export type AnyTask = TaskDefinition<any, any>;

/** Declares a task, keeping its option and result types. */
export function defineTask<T extends OptionSpecs, R>(
  task: TaskDefinition<T, R>,
): TaskDefinition<T, R> {
  return task;
}

/**
 * What the task index keeps of a task: every field that is data (id, summary,
 * options, arguments, permission set...), none of its functions, and the
 * name of the task module that defines it. The CLI lists, parses and prints
 * help from it without importing any task module.
 */
export type TaskIndexEntry =
  & Omit<AnyTask, "run" | "render" | "exitCode" | "needs" | "programs">
  & { module: string };
