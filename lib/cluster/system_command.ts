import { FailedError } from "../errors.ts";
import { lastLines } from "../runtime/docker_cli.ts";

/** What a finished program printed. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program with an argument array (never a shell string) and returns
 * what it printed; a non-zero exit is returned, not thrown.
 */
export async function tryCommand(
  argv: readonly string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CommandResult> {
  const [program, ...args] = argv;
  const output = await new Deno.Command(program!, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    ...(options.env ? { env: options.env } : {}),
    signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
  }).output();
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
}

/**
 * Runs a program and returns its stdout.
 * @throws {FailedError} on a non-zero exit, naming `what` with the tail of stderr.
 */
export async function command(
  argv: readonly string[],
  what: string,
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<string> {
  const result = await tryCommand(argv, options);
  if (result.code !== 0) {
    throw new FailedError(
      `${what} failed (${argv[0]} exited with ${result.code}): ${lastLines(result.stderr, 4)}`,
    );
  }
  return result.stdout;
}
