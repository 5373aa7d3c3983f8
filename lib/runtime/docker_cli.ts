import { FailedError, UsageError } from "../errors.ts";
import { installed } from "./installed_programs.ts";

/** What a finished `docker` command printed. */
export interface DockerResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** How the compose runtime runs the `docker` CLI. */
export interface DockerCli {
  /** The program (default `docker`, or `$OPS_DOCKER`). */
  program: string;
  /** Environment of every `docker` process: the caller's plus the compose variables. */
  env: Record<string, string>;
}

/** Whether `docker` is missing, the Compose v2 plugin is missing, or the daemon is down, as an error that says so. */
export function dockerProblem(stderr: string): UsageError | FailedError | undefined {
  if (
    /is not a docker command|unknown command: docker compose|unknown shorthand flag/i.test(stderr)
  ) {
    return new UsageError(
      "Docker Compose v2 (the `docker compose` plugin) is not installed",
      "install it (Debian: the docker-compose-plugin package, or ./ops setup --env <name>), then run again",
    );
  }
  if (
    /Cannot connect to the Docker daemon|docker daemon is not running|permission denied.*docker\.sock/i
      .test(stderr)
  ) {
    return new FailedError(`the Docker daemon is not reachable: ${lastLines(stderr, 2)}`, {
      hint: "start it (systemctl start docker) or check DOCKER_HOST and your access to its socket",
    });
  }
  return undefined;
}

/** The last `n` non-empty lines of a program's output. */
export function lastLines(text: string, n: number): string {
  return text.trim().split("\n").filter((l) => l.trim()).slice(-n).join("\n");
}

/**
 * Runs `docker <args>` to completion (an argument array, never a shell string).
 * @throws {UsageError} when docker or its compose plugin is missing; {FailedError} when the daemon is down.
 */
export async function runDocker(
  cli: DockerCli,
  args: string[],
  options: { signal?: AbortSignal; stdin?: string } = {},
): Promise<DockerResult> {
  let output: Deno.CommandOutput;
  try {
    const command = new Deno.Command(cli.program, {
      args,
      env: cli.env,
      clearEnv: true,
      stdin: options.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (options.stdin === undefined) {
      output = await command.output();
    } else {
      const child = command.spawn();
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(options.stdin));
      await writer.close();
      output = await child.output();
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw dockerMissing(cli.program);
    // a program that is not installed is never granted to a run: say that it is missing
    if (error instanceof Deno.errors.NotCapable && !installed([cli.program]).length) {
      throw dockerMissing(cli.program);
    }
    throw error;
  }
  const result = {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
  };
  if (result.code !== 0) {
    const problem = dockerProblem(result.stderr);
    if (problem) throw problem;
  }
  return result;
}

/**
 * Runs `docker <args>` and returns its stdout.
 * @throws {FailedError} on a non-zero exit, with `what` and the tail of stderr.
 */
export async function dockerOutput(
  cli: DockerCli,
  args: string[],
  what: string,
  options: { signal?: AbortSignal; hint?: string } = {},
): Promise<string> {
  const result = await runDocker(cli, args, options.signal ? { signal: options.signal } : {});
  if (result.code !== 0) {
    throw new FailedError(
      `${what} failed (docker exited with ${result.code}): ${lastLines(result.stderr, 8)}`,
      options.hint ? { hint: options.hint } : {},
    );
  }
  return result.stdout;
}

/** Where a spawned program's stdin, stdout and stderr go. */
export interface SpawnStdio {
  stdin?: "piped" | "inherit" | "null";
  stdout?: "piped" | "inherit" | "null";
  stderr?: "piped" | "inherit" | "null";
}

/**
 * Starts `docker <args>` (an argument array, never a shell string) with the
 * CLI's environment only; stdin defaults to null, stdout and stderr to piped.
 * @throws {UsageError} when docker is missing.
 */
export function spawnDocker(
  cli: DockerCli,
  args: string[],
  stdio: SpawnStdio = {},
): Deno.ChildProcess {
  try {
    return new Deno.Command(cli.program, {
      args,
      env: cli.env,
      clearEnv: true,
      stdin: stdio.stdin ?? "null",
      stdout: stdio.stdout ?? "piped",
      stderr: stdio.stderr ?? "piped",
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw dockerMissing(cli.program);
    throw error;
  }
}

/** The error for a missing `docker` program. */
export function dockerMissing(program: string): UsageError {
  return new UsageError(
    `${JSON.stringify(program)} was not found: the compose runtime drives the Docker CLI`,
    "install Docker Engine and Compose v2 (Debian: apt-get install docker.io, then the compose plugin), or use an environment with runtime: native",
  );
}

/**
 * The id of an image (`sha256:...`), or undefined when there is none by that reference.
 */
export async function imageId(cli: DockerCli, ref: string): Promise<string | undefined> {
  const result = await runDocker(cli, ["image", "inspect", "--format", "{{.Id}}", ref]);
  return result.code === 0 ? result.stdout.trim() : undefined;
}
