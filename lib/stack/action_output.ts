import { Output, type OutputMode } from "../output/output.ts";
import type { ProgressSink } from "../output/progress.ts";
import { redactor } from "../output/redactor.ts";

/** What a task wrote: a result line, a progress message or a warning. */
export type CapturedKind = "line" | "info" | "warn";

/** A progress update of a task (from lib/output/progress.ts). */
export interface CapturedProgress {
  /** Completed fraction 0..1 when the total is known. */
  fraction: number | null;
  /** `postgres:backup: 12.5 MiB of 40 MiB`. */
  text: string;
}

/**
 * An Output that writes nothing to the terminal: every line, progress
 * message, warning and JSON document is redacted and handed to a callback,
 * and progress bars (lib/output/progress.ts) arrive as data. The dashboard
 * runs tasks with it in json mode (tasks then draw no tables of their own)
 * and renders results with it in plain mode.
 */
export class ActionOutput extends Output implements ProgressSink {
  readonly #sink: (kind: CapturedKind, text: string) => void;
  readonly #onProgress: ((progress: CapturedProgress) => void) | undefined;

  constructor(
    sink: (kind: CapturedKind, text: string) => void,
    mode: OutputMode = "json",
    onProgress?: (progress: CapturedProgress) => void,
  ) {
    super({ mode });
    this.#sink = sink;
    this.#onProgress = onProgress;
  }

  /** A progress update of the task: passed on as data, never drawn. */
  progress(update: { label: string; done: number; total?: number; text: string }): void {
    this.#onProgress?.({
      fraction: update.total ? Math.min(1, update.done / update.total) : null,
      text: redactor.redact(update.text),
    });
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
