import type { Environment } from "../config/mod.ts";
import type { Output } from "../output/output.ts";
import { redactor } from "../output/redactor.ts";
import type { Runtime } from "../runtime/runtime.ts";
import { LiveStackModel } from "./stack_model.ts";
import type { StackStatus } from "./stack_status.ts";

/** Options of {@link watchStatus}. */
export interface WatchStatusOptions {
  environment: Environment;
  runtime: Runtime;
  output: Output;
  signal: AbortSignal;
  /** Seconds between two polls. */
  intervalSeconds: number;
  /** Prints one status (the `status` task's own renderer). */
  render: (status: StackStatus, output: Output) => void;
}

const encoder = new TextEncoder();

/**
 * Shows the stack status again after every poll of the stack model until the
 * signal aborts: on a terminal the table is redrawn in place, otherwise each
 * round is printed as plain lines after a `--- <time>` line (json mode: one
 * JSON document per line). Resolves with the last status.
 */
export async function watchStatus(options: WatchStatusOptions): Promise<StackStatus> {
  const { output } = options;
  const model = new LiveStackModel({
    environment: options.environment,
    runtime: options.runtime,
    intervalMs: Math.max(200, options.intervalSeconds * 1000),
    metrics: false,
    audit: false,
  });
  let last: StackStatus = { environment: options.environment.name, services: [] };
  let shownAt: string | null = null;
  const show = () => {
    const snapshot = model.snapshot();
    if (snapshot.updatedAt === null || snapshot.updatedAt === shownAt) return;
    shownAt = snapshot.updatedAt;
    last = {
      environment: snapshot.environment,
      services: snapshot.services.map((s) => ({
        name: s.name,
        state: s.state,
        healthy: s.healthy,
        latencyMs: s.latencyMs,
        pid: s.pid,
        port: s.port,
        detail: s.detail,
        startedAt: s.startedAt,
        uptimeSeconds: s.uptimeSeconds,
        crashRestarts: s.crashRestarts,
        dependsOn: s.dependsOn,
      })),
    };
    if (output.mode === "json") {
      Deno.stdout.writeSync(encoder.encode(JSON.stringify(redactor.redactValue(last)) + "\n"));
      return;
    }
    if (output.mode === "tty") {
      // Home and clear, then the table: the previous round is replaced in place.
      Deno.stdout.writeSync(encoder.encode("\x1b[H\x1b[2J"));
      options.render(last, output);
      output.line(
        output.style(
          `refreshed ${
            new Date(shownAt).toTimeString().slice(0, 8)
          } every ${options.intervalSeconds} s; Ctrl-C to stop`,
          "dim",
        ),
      );
      return;
    }
    output.line(`--- ${shownAt}`);
    options.render(last, output);
  };
  const unsubscribe = model.subscribe(show);
  model.open();
  try {
    await new Promise<void>((resolve) => {
      if (options.signal.aborted) return resolve();
      options.signal.addEventListener("abort", () => resolve(), { once: true });
    });
  } finally {
    unsubscribe();
    await model.close();
  }
  // The caller prints the final status once more: leave only that one on a terminal.
  if (output.mode === "tty") Deno.stdout.writeSync(encoder.encode("\x1b[H\x1b[2J"));
  return last;
}
