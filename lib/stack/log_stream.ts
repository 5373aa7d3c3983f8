import type { ConfiguredService } from "../config/mod.ts";
import { errorMessage } from "../errors.ts";
import { redactor } from "../output/redactor.ts";
import type { Runtime } from "../runtime/runtime.ts";

/** One log line with the service it came from. */
export interface LogLine {
  /** Arrival order, increasing. */
  seq: number;
  service: string;
  text: string;
}

/** The buffered lines of a log stream (a new object after each change). */
export interface LogSnapshot {
  version: number;
  lines: readonly LogLine[];
  /** Lines dropped from the front to keep the buffer bounded. */
  dropped: number;
}

/** Log lines of one or more services, followed live, in a bounded buffer. */
export interface LogStream {
  readonly services: readonly string[];
  snapshot(): LogSnapshot;
  subscribe(listener: () => void): () => void;
  close(): void;
}

/** Options of {@link RuntimeLogStream}. */
export interface LogStreamOptions {
  /** Lines kept (default 5000); older lines are dropped so memory stays flat. */
  capacity?: number;
  /** Last lines read from each service at the start (default 300). */
  tail?: number;
  /** Shortest time between two change notifications (default 250 ms: the view redraws at most 4 times a second). */
  batchMs?: number;
}

/**
 * Follows the logs of services through the runtime (so it works for any
 * runtime) and merges them in arrival order. Lines pass through the redactor.
 */
export class RuntimeLogStream implements LogStream {
  readonly services: readonly string[];
  readonly #capacity: number;
  readonly #batchMs: number;
  readonly #controller = new AbortController();
  readonly #listeners = new Set<() => void>();
  #lines: LogLine[] = [];
  #seq = 0;
  #dropped = 0;
  #snapshot: LogSnapshot = { version: 0, lines: [], dropped: 0 };
  #timer: ReturnType<typeof setTimeout> | undefined;
  #published = false;

  constructor(
    runtime: Runtime,
    services: readonly ConfiguredService[],
    options: LogStreamOptions = {},
  ) {
    this.services = services.map((s) => s.definition.name);
    this.#capacity = options.capacity ?? 5000;
    this.#batchMs = options.batchMs ?? 250;
    const tail = options.tail ?? 300;
    for (const service of services) {
      void this.#follow(runtime, service, tail);
    }
  }

  snapshot(): LogSnapshot {
    return this.#snapshot;
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops following; the buffered lines stay readable. */
  close(): void {
    this.#controller.abort();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #follow(runtime: Runtime, service: ConfiguredService, tail: number): Promise<void> {
    const name = service.definition.name;
    try {
      for await (
        const text of runtime.logs(service, { tail, follow: true, signal: this.#controller.signal })
      ) {
        if (this.#controller.signal.aborted) break;
        this.#push(name, text);
      }
    } catch (error) {
      if (!this.#controller.signal.aborted) {
        this.#push(name, `(log stream stopped: ${errorMessage(error)})`);
      }
    }
  }

  #push(service: string, text: string): void {
    this.#lines.push({ seq: ++this.#seq, service, text: printable(redactor.redact(text)) });
    // Trim in chunks so a busy log does not copy the buffer on every line.
    if (this.#lines.length > this.#capacity * 1.25) {
      const excess = this.#lines.length - this.#capacity;
      this.#lines = this.#lines.slice(excess);
      this.#dropped += excess;
    }
    if (this.#timer === undefined && !this.#controller.signal.aborted) {
      // the first publish waits a little longer so every service's tail is in
      this.#timer = setTimeout(() => this.#publish(), this.#published ? this.#batchMs : 250);
    }
  }

  #publish(): void {
    this.#timer = undefined;
    if (!this.#published && this.services.length > 1) this.#lines = byTime(this.#lines);
    this.#published = true;
    const lines = this.#lines.length > this.#capacity
      ? this.#lines.slice(-this.#capacity)
      : this.#lines.slice();
    this.#snapshot = {
      version: this.#snapshot.version + 1,
      lines,
      dropped: this.#dropped + Math.max(0, this.#lines.length - this.#capacity),
    };
    for (const listener of this.#listeners) listener();
  }
}

/** A log line safe to draw in a terminal: colour escapes and control characters removed, tabs expanded. */
function printable(text: string): string {
  return text
    // deno-lint-ignore no-control-regex
    .replace(/\x1b\[[0-9;?]*[ -\/]*[@-~]/g, "")
    .replace(/\t/g, "    ")
    // deno-lint-ignore no-control-regex
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "");
}

const months: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

/**
 * The time a log line carries, in the formats of the stack's servers:
 * `2026-11-22 03:12:05.555` (PostgreSQL), `[2026-11-22T03:12:05,123]`
 * (OpenSearch), `22 Nov 2026 03:12:03.823` (Redis). Null when none is found.
 */
export function logLineTime(text: string): number | null {
  const iso = /(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,6}))?/.exec(text);
  if (iso) {
    const [, y, mo, d, h, mi, s, frac] = iso;
    return Date.UTC(
      +y!,
      +mo! - 1,
      +d!,
      +h!,
      +mi!,
      +s!,
      Number((frac ?? "0").padEnd(3, "0").slice(0, 3)),
    );
  }
  const dmy = /(\d{1,2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?/.exec(
    text,
  );
  if (dmy && months[dmy[2]!] !== undefined) {
    const [, d, mon, y, h, mi, s, frac] = dmy;
    return Date.UTC(
      +y!,
      months[mon!]!,
      +d!,
      +h!,
      +mi!,
      +s!,
      Number((frac ?? "0").padEnd(3, "0").slice(0, 3)),
    );
  }
  return null;
}

/**
 * Merges the first tails of several services by the time in each line (a
 * line without one keeps the time of the line before it from the same
 * service); ties keep arrival order. Later lines arrive live, in order.
 */
function byTime(lines: LogLine[]): LogLine[] {
  const last = new Map<string, number>();
  const timed = lines.map((line) => {
    const time = logLineTime(line.text) ?? last.get(line.service) ?? 0;
    last.set(line.service, time);
    return { line, time };
  });
  timed.sort((a, b) => a.time - b.time || a.line.seq - b.line.seq);
  return timed.map((t) => t.line);
}
