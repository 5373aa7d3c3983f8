import { parseTaskArgs } from "../lib/cli/parse_task_args.ts";
import type { TaskSummary } from "../lib/stack/mod.ts";
import type { AnyTask, OptionSpec } from "../lib/task/define_task.ts";

/** One field of a task form: a positional argument or an option. */
export interface FormField {
  kind: "arg" | "option";
  name: string;
  description: string;
  /** For options: its spec (boolean fields toggle, choices cycle, the rest are typed). */
  spec?: OptionSpec;
  required: boolean;
  variadic: boolean;
}

/** The text (or on/off) of every field by name. */
export type FormValues = Record<string, string | boolean>;

/** The fields of a task: its positional arguments first, then its options. */
export function formFields(task: TaskSummary): FormField[] {
  return [
    ...task.args.map((a): FormField => ({
      kind: "arg",
      name: a.name,
      description: a.description,
      required: a.required ?? false,
      variadic: a.variadic ?? false,
    })),
    ...Object.entries(task.options).map(([name, spec]): FormField => ({
      kind: "option",
      name,
      description: spec.description,
      spec,
      required: false,
      variadic: false,
    })),
  ];
}

/** The starting values: option defaults, empty arguments. */
export function initialValues(task: TaskSummary): FormValues {
  const values: FormValues = {};
  for (const field of formFields(task)) {
    const spec = field.spec;
    if (spec?.type === "boolean") values[field.name] = spec.default ?? false;
    else values[field.name] = spec?.default !== undefined ? String(spec.default) : "";
  }
  return values;
}

/** The command line the form stands for (without `./ops <id>`), for the preview and the parser. */
export function formArgv(task: TaskSummary, values: FormValues): string[] {
  const options: string[] = [];
  const positionals: string[] = [];
  for (const field of formFields(task)) {
    const value = values[field.name];
    if (field.kind === "arg") {
      const text = String(value ?? "").trim();
      if (text) positionals.push(...(field.variadic ? text.split(/\s+/) : [text]));
      continue;
    }
    if (field.spec?.type === "boolean") {
      if (value === true) options.push(`--${field.name}`);
      continue;
    }
    const text = String(value ?? "");
    const unchanged = field.spec?.default !== undefined && text === String(field.spec.default);
    if (text !== "" && !unchanged) options.push(`--${field.name}=${text}`);
  }
  return positionals.length ? [...options, "--", ...positionals] : options;
}

/** The command an operator would type for the same run. */
export function commandPreview(task: TaskSummary, values: FormValues): string {
  const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return ["./ops", task.id, ...formArgv(task, values).filter((a) => a !== "--").map(quote)].join(
    " ",
  );
}

/**
 * Validates the form exactly as the CLI validates a command line (types,
 * choices, minimums, required arguments) and returns the run's input.
 * @throws {UsageError} with the CLI's message for the first problem.
 */
export function formInput(
  task: TaskSummary,
  values: FormValues,
): { options: Record<string, unknown>; args: string[] } {
  // the parser reads only id, options, args and passThrough of a task
  const parsed = parseTaskArgs(task as unknown as AnyTask, formArgv(task, values));
  const options = { ...parsed.options };
  for (const [name, spec] of Object.entries(task.options)) {
    // a boolean defaulting to true can be switched off in the form, not on a command line
    if (spec.type === "boolean" && values[name] === false) options[name] = false;
  }
  return { options, args: parsed.args };
}
