import type { ConfiguredService, Environment } from "../config/mod.ts";
import { UsageError } from "../errors.ts";
import type { Output } from "../output/output.ts";
import type { Runtime } from "../runtime/runtime.ts";
import { suggest } from "../suggest.ts";

/** Everything a task runs with: environment, runtime, output, cancellation and the guard rails. */
export interface TaskContext {
  readonly environment: Environment;
  readonly runtime: Runtime;
  readonly output: Output;
  readonly signal: AbortSignal;
  /** `--yes` was given: confirmations are answered yes. */
  readonly yes: boolean;
  /** `--force` was given: protected environments allow dangerous tasks. */
  readonly force: boolean;
  /** The configured service by name. @throws {UsageError} with a suggestion for an unknown name. */
  service(name: string): ConfiguredService;
  /**
   * Stops unless the operator agrees: refused in a protected environment
   * without `--force`; on a terminal asks (typing `typed` when given, else y/N);
   * elsewhere needs `--yes`.
   * @throws {UsageError} when refused or declined.
   */
  confirm(action: string, options?: { typed?: string }): Promise<void>;
}

/** Options of {@link createTaskContext}. */
export interface TaskContextOptions {
  environment: Environment;
  runtime: Runtime;
  output: Output;
  signal: AbortSignal;
  yes: boolean;
  force: boolean;
  /** Reads one answer line (defaults to the terminal). */
  ask?: (question: string) => Promise<string | null>;
}

/** Builds the context tasks run with. */
export function createTaskContext(options: TaskContextOptions): TaskContext {
  const { environment } = options;
  return {
    environment,
    runtime: options.runtime,
    output: options.output,
    signal: options.signal,
    yes: options.yes,
    force: options.force,
    service(name) {
      const found = environment.services.find((s) => s.definition.name === name);
      if (found) return found;
      const names = environment.services.map((s) => s.definition.name);
      const guess = suggest(name, names);
      throw new UsageError(
        `unknown service ${JSON.stringify(name)} in environment ${
          JSON.stringify(environment.name)
        }`,
        guess
          ? `did you mean '${guess}'? services: ${names.join(", ")}`
          : `services: ${names.join(", ")}`,
      );
    },
    async confirm(action, confirmOptions = {}) {
      if (environment.protected && !options.force) {
        throw new UsageError(
          `refusing to ${action} in the protected environment ${JSON.stringify(environment.name)}`,
          "add --force if you really mean it",
        );
      }
      if (options.yes && !(environment.protected && confirmOptions.typed && !options.force)) return;
      const interactive = Deno.stdin.isTerminal() || options.ask !== undefined;
      if (!interactive) {
        throw new UsageError(
          `refusing to ${action} without confirmation`,
          "run it on a terminal, or pass --yes",
        );
      }
      const ask = options.ask ?? askOnTerminal;
      if (confirmOptions.typed) {
        const answer = await ask(
          `About to ${action} in ${environment.name}. Type ${
            JSON.stringify(confirmOptions.typed)
          } to go on: `,
        );
        if (answer?.trim() !== confirmOptions.typed) {
          throw new UsageError(`not confirmed: ${action} was not done`);
        }
      } else {
        const answer = await ask(`About to ${action} in ${environment.name}. Go on? [y/N] `);
        if (!/^y(es)?$/i.test(answer?.trim() ?? "")) {
          throw new UsageError(`not confirmed: ${action} was not done`);
        }
      }
    },
  };
}

async function askOnTerminal(question: string): Promise<string | null> {
  await Deno.stderr.write(new TextEncoder().encode(question));
  const buf = new Uint8Array(1024);
  const n = await Deno.stdin.read(buf);
  return n === null ? null : new TextDecoder().decode(buf.subarray(0, n));
}
