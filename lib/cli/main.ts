import { ExitCode, OpsError } from "../errors.ts";
import { Output, redactor } from "../output/mod.ts";
import type { AnyTask, OptionSpec, TaskIndexEntry } from "../task/define_task.ts";
import { findTask } from "../task/find_task.ts";
import { globalOptions, parseTaskArgs, usage } from "./parse_task_args.ts";

/**
 * Where the CLI finds tasks: the task index lists them, parses their command
 * lines and prints their help without importing any task module; `load`
 * imports the one module that defines the task to run.
 */
export interface TaskSource {
  /** Every task's entry, in the order the task list shows them. */
  index: readonly TaskIndexEntry[];
  /** The task of an index entry, from its module. */
  load: (entry: TaskIndexEntry) => Promise<AnyTask>;
}

/** Signals that stop a task: Ctrl-C, a stop request, the terminal going away. */
const stopSignals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * The command-line entry: `<task> [args] [options]`. The one place that
 * prints errors and sets the exit code.
 */
export async function main(argv: string[], source: TaskSource): Promise<number> {
  const [id, ...rest] = argv;
  const output = new Output({ json: rest.includes("--json") });
  const controller = new AbortController();
  let permissionSet: string | undefined;
  const parentWatch = watchParent(controller);
  const onSignal = () =>
    controller.abort(new OpsError("interrupted", { exitCode: ExitCode.failed }));
  try {
    for (const signal of stopSignals) Deno.addSignalListener(signal, onSignal);
  } catch {
    // signals need no permission but may be unsupported
  }
  try {
    if (id === undefined || id === "--help" || id === "-h" || id === "help") {
      output.line(taskList(source.index, output));
      return 0;
    }
    const entry = findTask(source.index, id);
    permissionSet = entry.permissions;
    const parsed = parseTaskArgs(entry, rest);
    if (parsed.global.help) {
      output.line(taskHelp(entry));
      return 0;
    }
    // the task's module and the machinery that runs it load together
    const [task, { runTask }] = await Promise.all([
      source.load(entry),
      import("../task/run_task.ts"),
    ]);
    const runOutput = new Output({ json: parsed.global.json });
    const { result, exitCode } = await runTask(task, {
      ...(parsed.global.env ? { env: parsed.global.env } : {}),
      options: parsed.options,
      args: parsed.args,
      yes: parsed.global.yes,
      force: parsed.global.force,
      output: runOutput,
      signal: controller.signal,
      onDenied: async (grants, task) => {
        const { rerunWithGrants } = await import("./rerun_with_grants.ts");
        await rerunWithGrants(grants, task.permissions);
      },
    });
    if (runOutput.mode === "json") runOutput.json(result);
    else task.render?.(result, runOutput);
    return exitCode;
  } catch (error) {
    return reportError(error, output, permissionSet);
  } finally {
    if (parentWatch !== undefined) clearInterval(parentWatch);
    try {
      for (const signal of stopSignals) Deno.removeSignalListener(signal, onSignal);
    } catch {
      // see above
    }
  }
}

/**
 * In a run started by the CLI for itself (with wider grants), stops the task
 * when the process that started it dies: a killed `./ops` leaves nothing running.
 */
function watchParent(controller: AbortController): ReturnType<typeof setInterval> | undefined {
  const parent = Number(Deno.env.get("OPS_PARENT_PID"));
  if (!Number.isInteger(parent) || parent <= 0 || Deno.ppid !== parent) return undefined;
  const timer = setInterval(() => {
    if (Deno.ppid === parent) return;
    controller.abort(
      new OpsError("the ./ops process that started this run is gone", {
        exitCode: ExitCode.failed,
      }),
    );
    clearInterval(timer);
  }, 500);
  Deno.unrefTimer(timer);
  return timer;
}

/** Prints an error (one JSON document on stdout too, with --json) and returns its exit code. */
function reportError(error: unknown, output: Output, permissionSet: string | undefined): number {
  const { code, message, hint } = describeError(error, permissionSet);
  const encoder = new TextEncoder();
  const write = (text: string) =>
    Deno.stderr.writeSync(encoder.encode(redactor.redact(text) + "\n"));
  if (output.mode === "json") {
    const document = { error: { code, message, hint: hint ?? null } };
    Deno.stdout.writeSync(encoder.encode(redactor.redact(JSON.stringify(document)) + "\n"));
  }
  write(`${output.style("error", "red")}: ${message}`);
  if (hint) write(`${output.style("hint", "cyan")}: ${hint}`);
  if (Deno.env.get("OPS_DEBUG") === "1" && error instanceof Error && error.stack) {
    write(error.stack);
  }
  return code;
}

/** An error as the user sees it: exit code, one-line message, a next step that fits who runs it. */
export function describeError(
  error: unknown,
  permissionSet: string | undefined,
): { code: number; message: string; hint?: string } {
  if (error instanceof OpsError) {
    return {
      code: error.exitCode,
      message: error.message,
      ...(error.hint ? { hint: error.hint } : {}),
    };
  }
  const text = error instanceof Error ? error.message : String(error);
  if (error instanceof Deno.errors.NotCapable) {
    return {
      code: ExitCode.failed,
      message: text.replace(/, run again with the --allow-\w+ flag/, ""),
      hint: `the "${permissionSet ?? "ops"}" permission set of deno.json does not allow this: ` +
        "run the task through ./ops (each run is granted its environment's folders and the files " +
        "it names), or add the path or program to lib/cli/permission_sets.ts",
    };
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    const root = Deno.uid?.() === 0;
    return {
      code: ExitCode.failed,
      message: text.replace(/ \(os error \d+\)/, ""),
      hint: root
        ? "the system refused root: check that the file system is writable and the file is not immutable (lsattr)"
        : "run as the user that owns the state folder (or root), or fix its ownership",
    };
  }
  return {
    code: ExitCode.failed,
    message: `unexpected failure: ${text.split("\n")[0]}`,
    hint: "run again with OPS_DEBUG=1 for the stack trace, and report it",
  };
}

/** The list of every task, grouped: stack tasks first, then per service. */
export function taskList(
  tasks: readonly Pick<AnyTask, "id" | "summary" | "service">[],
  output: Output,
): string {
  const width = Math.max(...tasks.map((t) => t.id.length));
  const stack = tasks.filter((t) => !t.service);
  const services = [...new Set(tasks.filter((t) => t.service).map((t) => t.service!))];
  const lines = [
    "HailMary Ops: operate the HailMary stack",
    "",
    "usage: ./ops <task> [args] [options]   (or: deno task <task>)",
    "",
    output.style("stack", "bold"),
  ];
  for (const t of stack) lines.push(`  ${t.id.padEnd(width)}  ${t.summary}`);
  for (const service of services) {
    lines.push("", output.style(service, "bold"));
    for (const t of tasks.filter((x) => x.service === service)) {
      lines.push(`  ${t.id.padEnd(width)}  ${t.summary}`);
    }
  }
  lines.push(
    "",
    "global options: " + Object.keys(globalOptions).map((o) => `--${o}`).join(" "),
    "exit codes: 0 ok, 1 failed or unhealthy, 2 bad input, 75 busy",
  );
  return lines.join("\n");
}

/** Help for one task. */
export function taskHelp(task: TaskIndexEntry | AnyTask): string {
  const option = (name: string, spec: OptionSpec) => {
    const value = spec.type === "boolean"
      ? ""
      : ` ${
        "placeholder" in spec && spec.placeholder ? spec.placeholder : spec.type.toUpperCase()
      }`;
    const flag = `${spec.short ? `-${spec.short}, ` : ""}--${name}${value}`;
    const def = spec.default !== undefined && spec.default !== false
      ? ` (default ${spec.default})`
      : "";
    const choices = spec.type === "string" && spec.choices ? ` [${spec.choices.join("|")}]` : "";
    return `  ${flag.padEnd(28)} ${spec.description}${choices}${def}`;
  };
  const lines = [`usage: ./ops ${usage(task)}`, "", task.summary];
  if (task.dangerous) {
    lines.push(
      "",
      "dangerous: asks for confirmation (--yes for scripts) and needs --force in protected environments",
    );
  }
  if (task.args?.length) {
    lines.push("", "arguments:");
    for (const a of task.args) lines.push(`  ${a.name.toUpperCase().padEnd(28)} ${a.description}`);
  }
  const own = Object.entries(task.options as Record<string, OptionSpec>);
  if (own.length) {
    lines.push("", "options:");
    for (const [name, spec] of own) lines.push(option(name, spec));
  }
  lines.push("", "global options:");
  for (const [name, spec] of Object.entries(globalOptions)) lines.push(option(name, spec));
  return lines.join("\n");
}
