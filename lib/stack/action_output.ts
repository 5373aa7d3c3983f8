import { Output, type OutputMode } from "../output/output.ts";
import { redactor } from "../output/redactor.ts";

/** What a task wrote: a result line, a progress message or a warning. */
export type CapturedKind = "line" | "info" | "warn";

/**
 * An Output that writes nothing to the terminal: every line, progress
 * message, warning and JSON document is redacted and handed to a callback.
 * The dashboard runs tasks with it in json mode (tasks then draw no bars or
 * tables of their own) and renders results with it in plain mode.
 */
export class ActionOutput extends Output {
  readonly #sink: (kind: CapturedKind, text: string) => void;

  constructor(sink: (kind: CapturedKind, text: string) => void, mode: OutputMode = "json") {
    super({ mode });
    this.#sink = sink;
  }

  override line(text: string = ""): void {
    this.#sink("line", redactor.redact(text));
  }

  override info(text: string): void {
    this.#sink("info", redactor.redact(text));
  }

  override warn(text: string): void {
    this.#sink("warn", redactor.redact(text));
  }

  override json(value: unknown): void {
    this.#sink("line", JSON.stringify(redactor.redactValue(value)));
  }
}
