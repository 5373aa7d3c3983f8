/** Terminal styling that honours NO_COLOR and plain (non-TTY) output. */

const codes = {
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
  gray: 90,
  bold: 1,
  dim: 2,
} as const;

/** A colour or emphasis name. */
export type StyleName = keyof typeof codes;

/** True when stdout is a terminal and NO_COLOR is not set. */
export function colorEnabled(): boolean {
  try {
    if (Deno.env.get("NO_COLOR") !== undefined) return false;
  } catch {
    return false;
  }
  return Deno.stdout.isTerminal();
}

/** Wraps text in an ANSI style when colour is enabled. */
export function paint(text: string, style: StyleName, enabled: boolean = colorEnabled()): string {
  return enabled ? `\x1b[${codes[style]}m${text}\x1b[0m` : text;
}

/** Removes ANSI escape sequences (for width computations and plain logs). */
export function stripAnsi(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}
