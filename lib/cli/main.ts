import { ExitCode, OpsError } from "../errors.ts";
import { Output, redactor } from "../output/mod.ts";
import type { AnyTask, OptionSpec } from "../task/define_task.ts";
import { findTask, runTask } from "../task/run_task.ts";
import { globalOptions, parseTaskArgs, usage } from "./parse_task_args.ts";

/** Where the CLI finds tasks: a quick list (the stack tasks) tried first, then the whole registry. */
export interface TaskSource {
  /** Tasks available without loading every task module (status, health...). */
  quick: () => AnyTask[];
  /** Every task. */
  all: () => Promise<AnyTask[]> | AnyTask[];
}

/**
 * The command-line entry: `<task> [args] [options]`. The one place that
 * prints errors and sets the exit code.
 */
export async function main(argv: string[], source: TaskSource): Promise<number> {
  const [id, ...rest] = argv;
  const output = new Output({ json: rest.includes("--json") });
  const controller = new AbortController();
  const onSignal = () =>
    controller.abort(new OpsError("interrupted", { exitCode: ExitCode.failed }));
  try {
    Deno.addSignalListener("SIGINT", onSignal);
    Deno.addSignalListener("SIGTERM", onSignal);
  } catch {
    // signals need no permission but may be unsupported
  }
  try {
    const quick = id === undefined ? undefined : source.quick().find((t) => t.id === id);
    if (id === undefined || id === "--help" || id === "-h" || id === "help") {
      output.line(taskList(await source.all(), output));
      return 0;
    }
    const task = quick ?? findTask(await source.all(), id);
    const parsed = parseTaskArgs(task, rest);
    if (parsed.global.help) {
      output.line(taskHelp(task));
      return 0;
    }
    const runOutput = new Output({ json: parsed.global.json });
    const { result, exitCode } = await runTask(task, {
      ...(parsed.global.env ? { env: parsed.global.env } : {}),
      options: parsed.options,
      args: parsed.args,
      yes: parsed.global.yes,
      force: parsed.global.force,
      output: runOutput,
      signal: controller.signal,
      onDeniedAddresses: async (addresses, task) => {
        const { rerunWithNet } = await import("./rerun_with_net.ts");
        await rerunWithNet(addresses, task.permissions);
      },
    });
    if (runOutput.mode === "json") runOutput.json(result);
    else task.render?.(result, runOutput);
    return exitCode;
  } catch (error) {
    return reportError(error, output);
  } finally {
    try {
      Deno.removeSignalListener("SIGINT", onSignal);
      Deno.removeSignalListener("SIGTERM", onSignal);
    } catch {
      // see above
    }
  }
}

function reportError(error: unknown, output: Output): number {
  const encoder = new TextEncoder();
  const write = (text: string) =>
    Deno.stderr.writeSync(encoder.encode(redactor.redact(text) + "\n"));
  if (error instanceof OpsError) {
    if (output.mode === "json") {
      Deno.stdout.writeSync(
        encoder.encode(
          redactor.redact(
            JSON.stringify({
              error: error.message,
              hint: error.hint ?? null,
              exitCode: error.exitCode,
            }),
          ) + "\n",
        ),
      );
    }
    write(`${output.style("error", "red")}: ${error.message}`);
    if (error.hint) write(`${output.style("hint", "cyan")}: ${error.hint}`);
    return error.exitCode;
  }
  if (error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable) {
    write(`${output.style("error", "red")}: ${error.message.replace(/ \(os error \d+\)/, "")}`);
    write(
      `${
        output.style("hint", "cyan")
      }: run as the user that owns the state folder (or root), or fix its ownership`,
    );
    return ExitCode.failed;
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  write(`${output.style("error", "red")}: unexpected failure: ${message}`);
  return ExitCode.failed;
}

/** The list of every task, grouped: stack tasks first, then per service. */
export function taskList(tasks: readonly AnyTask[], output: Output): string {
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
export function taskHelp(task: AnyTask): string {
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
