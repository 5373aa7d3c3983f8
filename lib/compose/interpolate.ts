/** A variable the compose files require (`${NAME:?why}`) that has no value. */
export class MissingVariableError extends Error {
  constructor(readonly variable: string, readonly why: string) {
    super(`required variable ${variable} is missing a value: ${why}`);
  }
}

/**
 * Compose-style interpolation of one string: `${NAME}`, `$NAME`, `${NAME:-default}`,
 * `${NAME-default}`, `${NAME:?error}`, `${NAME?error}`, `${NAME:+alt}`, `${NAME+alt}`,
 * with nested expressions in defaults. `$$` stays as written, as in
 * `docker compose config` output (it means a literal `$` in the container).
 * @throws {MissingVariableError} for a required variable without a value.
 */
export function interpolate(text: string, variables: Record<string, string | undefined>): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch !== "$") {
      out += ch;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === "$") {
      out += "$$";
      i += 2;
      continue;
    }
    if (next === "{") {
      const end = closingBrace(text, i + 2);
      if (end < 0) {
        out += text.slice(i);
        break;
      }
      out += expand(text.slice(i + 2, end), variables);
      i = end + 1;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1))?.[0];
    if (name) {
      out += variables[name] ?? "";
      i += 1 + name.length;
      continue;
    }
    out += ch;
    i++;
  }
  return out;
}

function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let j = from; j < text.length; j++) {
    if (text[j] === "{") depth++;
    else if (text[j] === "}" && --depth === 0) return j;
  }
  return -1;
}

function expand(expression: string, variables: Record<string, string | undefined>): string {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/.exec(expression);
  if (!match) return "";
  const [, name = "", operator, argument = ""] = match;
  const value = variables[name];
  const set = value !== undefined;
  const nonEmpty = set && value !== "";
  switch (operator) {
    case ":-":
      return nonEmpty ? value! : interpolate(argument, variables);
    case "-":
      return set ? value! : interpolate(argument, variables);
    case ":?":
      if (!nonEmpty) throw new MissingVariableError(name, interpolate(argument, variables));
      return value!;
    case "?":
      if (!set) throw new MissingVariableError(name, interpolate(argument, variables));
      return value!;
    case ":+":
      return nonEmpty ? interpolate(argument, variables) : "";
    case "+":
      return set ? interpolate(argument, variables) : "";
    default:
      return value ?? "";
  }
}

/** Interpolates every string (values, not keys) of a parsed YAML tree. */
export function interpolateTree(
  value: unknown,
  variables: Record<string, string | undefined>,
): unknown {
  if (typeof value === "string") return interpolate(value, variables);
  if (Array.isArray(value)) return value.map((v) => interpolateTree(v, variables));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolateTree(v, variables)]),
    );
  }
  return value;
}
