import { UsageError } from "../errors.ts";
import type { AnyTask, OptionSpec } from "../task/define_task.ts";
import { suggest } from "../suggest.ts";

/** Options every task accepts. */
export const globalOptions = {
  env: {
    type: "string",
    description:
      "environment name, or path to its YAML file from the current folder (default: $OPS_ENV or local)",
    placeholder: "NAME",
  },
  json: { type: "boolean", description: "print one JSON document instead of text" },
  yes: {
    type: "boolean",
    short: "y",
    description: "answer yes to confirmations (for cron and CI)",
  },
  force: {
    type: "boolean",
    description: "allow dangerous tasks in protected (production) environments",
  },
  help: { type: "boolean", short: "h", description: "show help for this task" },
} as const satisfies Record<string, OptionSpec>;

/** What parsing needs of a task: a task itself or its entry in the task index. */
export type ParsedTask = Pick<AnyTask, "id" | "options" | "args" | "passThrough">;

/** Parsed command line of one task. */
export interface ParsedTaskArgs {
  global: { env?: string; json: boolean; yes: boolean; force: boolean; help: boolean };
  options: Record<string, unknown>;
  args: string[];
}

/**
 * Parses a task's arguments against its option specs and the global options.
 * @throws {UsageError} for unknown options (with a suggestion), bad values or missing arguments.
 */
export function parseTaskArgs(task: ParsedTask, argv: string[]): ParsedTaskArgs {
  const specs: Record<string, OptionSpec> = { ...globalOptions, ...task.options };
  // pass-through tasks (psql) leave short flags such as -h and -c to the program
  const shortSpecs = task.passThrough ? (task.options as Record<string, OptionSpec>) : specs;
  const shorts = new Map(
    Object.entries(shortSpecs).flatMap((
      [name, spec],
    ) => (spec.short ? [[spec.short, name] as const] : [])),
  );
  const values: Record<string, string | boolean | undefined> = {};
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === "--") {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!token.startsWith("-") || token === "-") {
      args.push(token);
      continue;
    }
    const eq = token.indexOf("=");
    const flag = eq === -1 ? token : token.slice(0, eq);
    const name = flag.startsWith("--") ? flag.slice(2) : shorts.get(flag.slice(1));
    const spec = name === undefined ? undefined : specs[name];
    if (name === undefined || spec === undefined) {
      // pass-through tasks (psql) hand unknown options, and their values, to the program
      if (task.passThrough) {
        args.push(token);
        continue;
      }
      const guess = suggest(flag.replace(/^-+/, ""), Object.keys(specs));
      throw new UsageError(
        `unknown option ${flag} for ${task.id}`,
        guess
          ? `did you mean --${guess}? see ./ops ${task.id} --help`
          : `see ./ops ${task.id} --help`,
      );
    }
    if (spec.type === "boolean") {
      if (eq !== -1) {
        throw new UsageError(`--${name} of ${task.id} takes no value`, `write --${name} alone`);
      }
      values[name] = true;
      continue;
    }
    const value = eq !== -1 ? token.slice(eq + 1) : argv[++i];
    if (value === undefined) {
      throw new UsageError(`--${name} of ${task.id} needs a value`, `see ./ops ${task.id} --help`);
    }
    values[name] = value;
  }
  const options: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(task.options as Record<string, OptionSpec>)) {
    const raw = values[name];
    if (raw === undefined) {
      if (spec.default !== undefined) options[name] = spec.default;
      continue;
    }
    options[name] = convert(task.id, name, spec, raw);
  }
  const specsArgs = task.args ?? [];
  const required = specsArgs.filter((a) => a.required).length;
  const wantsHelp = values.help === true;
  if (args.length < required && !wantsHelp) {
    const missing = specsArgs.slice(args.length).filter((a) => a.required).map((a) =>
      a.name.toUpperCase()
    );
    throw new UsageError(`${task.id} needs ${missing.join(" ")}`, `usage: ./ops ${usage(task)}`);
  }
  if (
    !wantsHelp && !task.passThrough && !specsArgs.some((a) => a.variadic) &&
    args.length > specsArgs.length
  ) {
    throw new UsageError(
      `${task.id} takes ${specsArgs.length || "no"} argument(s), got ${
        JSON.stringify(args.slice(specsArgs.length).join(" "))
      }`,
      `usage: ./ops ${usage(task)}`,
    );
  }
  const global = {
    json: values.json === true,
    yes: values.yes === true,
    force: values.force === true,
    help: values.help === true,
    ...(typeof values.env === "string" ? { env: values.env } : {}),
  };
  return { global, options, args };
}

function convert(taskId: string, name: string, spec: OptionSpec, raw: string | boolean): unknown {
  if (spec.type === "boolean") return raw;
  const text = String(raw);
  if (spec.type === "number") {
    const value = Number(text);
    if (text.trim() === "" || !Number.isFinite(value)) {
      throw new UsageError(`--${name} of ${taskId} must be a number, got ${JSON.stringify(text)}`);
    }
    if (spec.integer && !Number.isInteger(value)) {
      throw new UsageError(
        `--${name} of ${taskId} must be a whole number, got ${JSON.stringify(text)}`,
      );
    }
    if (spec.min !== undefined && value < spec.min) {
      throw new UsageError(`--${name} of ${taskId} must be at least ${spec.min}, got ${value}`);
    }
    return value;
  }
  if (spec.choices && !spec.choices.includes(text)) {
    throw new UsageError(
      `--${name} of ${taskId} must be one of ${spec.choices.join(", ")}, got ${
        JSON.stringify(text)
      }`,
    );
  }
  return text;
}

/** The usage line of a task. */
export function usage(task: Pick<AnyTask, "id" | "args">): string {
  const args = (task.args ?? []).map((
    a,
  ) => (a.required ? a.name.toUpperCase() : `[${a.name.toUpperCase()}${a.variadic ? "..." : ""}]`));
  return [task.id, ...args, "[options]"].join(" ");
}
