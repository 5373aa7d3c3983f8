/**
 * Styles as ANSI escapes inside one string. Big, often redrawn blocks (the
 * services table, log lines) are built as one string per block instead of
 * one Ink <Text> per cell: Ink's layout cost grows with the number of nodes,
 * and a 100-service table of nested cells does not fit in a 16 ms frame.
 * @module
 */

/** A style for {@link styled}. */
export interface Style {
  color?: string;
  background?: string;
  bold?: boolean;
  inverse?: boolean;
}

const foreground: Record<string, number> = {
  black: 30,
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
  white: 37,
  gray: 90,
  redBright: 91,
  cyanBright: 96,
};
const backgrounds: Record<string, number> = { red: 41, yellow: 43 };

let supported: boolean | undefined;

/** Whether colours are drawn: as Ink decides it (a terminal, NO_COLOR unset, or FORCE_COLOR). */
export function colorSupported(): boolean {
  if (supported !== undefined) return supported;
  try {
    const force = Deno.env.get("FORCE_COLOR");
    if (force !== undefined) return (supported = force !== "0");
    if (Deno.env.get("NO_COLOR") !== undefined) return (supported = false);
  } catch {
    // no env permission: decide by the terminal alone
  }
  return (supported = Deno.stdout.isTerminal());
}

/** The text wrapped in the escapes of a style (unchanged when colours are off). */
export function styled(text: string, style: Style, enabled: boolean = colorSupported()): string {
  if (!enabled || text === "") return text;
  let open = "";
  let close = "";
  if (style.color && foreground[style.color]) {
    open += `\x1b[${foreground[style.color]}m`;
    close = "\x1b[39m" + close;
  }
  if (style.background && backgrounds[style.background]) {
    open += `\x1b[${backgrounds[style.background]}m`;
    close = "\x1b[49m" + close;
  }
  if (style.bold) {
    open += "\x1b[1m";
    close = "\x1b[22m" + close;
  }
  if (style.inverse) {
    open += "\x1b[7m";
    close = "\x1b[27m" + close;
  }
  return open + text + close;
}
