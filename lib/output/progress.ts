import { formatBytes } from "./format_bytes.ts";
import type { Output } from "./output.ts";
import { redactor } from "./redactor.ts";

/** Reports the progress of a long step; call `update` as often as you like, `done` at the end. */
export interface Progress {
  /** The amount done so far (bytes, documents...). */
  update(done: number, total?: number): void;
  /** Clears the bar (terminal) and prints nothing more. */
  done(): void;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** What is progressing, e.g. `postgres:backup`. */
  label: string;
  /** The expected total, when known (draws a bar instead of a counter). */
  total?: number;
  /** `bytes` (default) or a plain count with this unit name (`documents`). */
  unit?: "bytes" | string;
  /** Seconds between plain lines when stderr is not a terminal (default 5). */
  intervalSeconds?: number;
}

const encoder = new TextEncoder();

/**
 * An Output that takes progress as data instead of drawing it (the
 * dashboard's, which shows its own bars): every update goes to `progress`.
 */
export interface ProgressSink {
  progress(update: { label: string; done: number; total?: number; text: string }): void;
}

/**
 * Progress on stderr that fits the caller: a bar redrawn in place on a
 * terminal (at most 10 times a second), a plain line every few seconds
 * otherwise, nothing in `--json` mode (stdout then holds only the result).
 */
export function createProgress(output: Output, options: ProgressOptions): Progress {
  const sink = (output as Output & Partial<ProgressSink>).progress;
  if (typeof sink === "function") return sinkProgress(output as Output & ProgressSink, options);
  if (output.mode === "json") return { update() {}, done() {} };
  const bar = output.mode === "tty" && Deno.stderr.isTerminal();
  const intervalMs = bar ? 100 : (options.intervalSeconds ?? 5) * 1000;
  const began = performance.now();
  let total = options.total;
  let last = began;
  let current = 0;
  let drawn = false;
  const amount = (n: number) =>
    options.unit === undefined || options.unit === "bytes"
      ? formatBytes(n)
      : `${n.toLocaleString("en-US")} ${options.unit}`;
  const describe = () => {
    const seconds = (performance.now() - began) / 1000;
    const rate = seconds > 0 ? current / seconds : 0;
    const speed = options.unit === undefined || options.unit === "bytes"
      ? `${formatBytes(rate)}/s`
      : `${Math.round(rate)}/s`;
    const of = total ? ` of ${amount(total)}` : "";
    return { text: `${amount(current)}${of}, ${speed}, ${seconds.toFixed(0)} s`, seconds };
  };
  const write = (text: string) => Deno.stderr.writeSync(encoder.encode(redactor.redact(text)));
  const draw = () => {
    const { text } = describe();
    if (bar) {
      const width = 24;
      const fraction = total ? Math.min(1, current / total) : undefined;
      const cells = fraction === undefined
        ? ""
        : `[${"#".repeat(Math.round(fraction * width)).padEnd(width, "-")}] ${
          Math.floor(fraction * 100)
        }% `;
      write(`\r\x1b[2K${options.label} ${cells}${text}`);
      drawn = true;
    } else {
      write(`${options.label}: ${text}\n`);
    }
  };
  return {
    update(done, newTotal) {
      current = done;
      if (newTotal !== undefined) total = newTotal;
      const now = performance.now();
      if (now - last < intervalMs) return;
      last = now;
      draw();
    },
    done() {
      if (bar && drawn) write("\r\x1b[2K");
    },
  };
}

/** Progress handed to an output that collects it (see {@link ProgressSink}). */
function sinkProgress(output: ProgressSink, options: ProgressOptions): Progress {
  let total = options.total;
  const amount = (n: number) =>
    options.unit === undefined || options.unit === "bytes"
      ? formatBytes(n)
      : `${n.toLocaleString("en-US")} ${options.unit}`;
  return {
    update(done, newTotal) {
      if (newTotal !== undefined) total = newTotal;
      output.progress({
        label: options.label,
        done,
        ...(total !== undefined ? { total } : {}),
        text: `${options.label}: ${amount(done)}${total ? ` of ${amount(total)}` : ""}`,
      });
    },
    done() {},
  };
}
