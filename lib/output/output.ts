import { redactor } from "./redactor.ts";
import { colorEnabled, paint, type StyleName } from "./style.ts";

/** How results are printed: `tty` (colour, tables), `plain` (lines), `json` (one document). */
export type OutputMode = "tty" | "plain" | "json";

const encoder = new TextEncoder();

/** Writes task output and messages; every string passes through the redactor. */
export class Output {
  /** The chosen mode. */
  readonly mode: OutputMode;
  /** Whether ANSI colour is used. */
  readonly color: boolean;

  constructor(options: { json?: boolean; mode?: OutputMode } = {}) {
    this.mode = options.mode ??
      (options.json ? "json" : Deno.stdout.isTerminal() ? "tty" : "plain");
    this.color = this.mode === "tty" && colorEnabled();
  }

  /** Styles text when colour is on. */
  style(text: string, style: StyleName): string {
    return paint(text, style, this.color);
  }

  /** A line of result text on stdout (not printed in json mode). */
  line(text: string = ""): void {
    if (this.mode === "json") return;
    Deno.stdout.writeSync(encoder.encode(redactor.redact(text) + "\n"));
  }

  /** A progress or status message on stderr (suppressed in json mode unless it is a warning). */
  info(text: string): void {
    if (this.mode === "json") return;
    Deno.stderr.writeSync(encoder.encode(redactor.redact(text) + "\n"));
  }

  /** A warning on stderr, printed in every mode. */
  warn(text: string): void {
    Deno.stderr.writeSync(
      encoder.encode(redactor.redact(this.style("warning", "yellow") + ": " + text) + "\n"),
    );
  }

  /** Prints one JSON document on stdout. */
  json(value: unknown): void {
    Deno.stdout.writeSync(
      encoder.encode(JSON.stringify(redactor.redactValue(value), null, 2) + "\n"),
    );
  }
}
