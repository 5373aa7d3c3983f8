import { FailedError } from "../errors.ts";
import { containerProgram } from "./compose_commands.ts";
import { type DockerCli, lastLines, runDocker, spawnDocker } from "./docker_cli.ts";

/** A host folder mounted into a one-off container at the same path. */
export interface SamePathMount {
  path: string;
  readOnly?: boolean;
}

/** How a one-off container is set up. */
export interface OneOffSpec {
  /** Host folders mounted at the same path inside. */
  mounts: readonly SamePathMount[];
  /** `user[:group]` inside the container (default: the image's, root for the service images). */
  user?: string;
  /** A TCP port published on the host's loopback to the same port inside (joins the project network). */
  publishPort?: number;
  /** A label value naming what the container belongs to (a scratch folder). */
  owner?: string;
}

/** How a program in a one-off container gets its environment and streams. */
export interface OneOffExecOptions {
  /** Variables passed by name (`--env NAME`); their values stay in the docker process's environment. */
  env?: Record<string, string>;
  stdin?: "piped" | "inherit" | "null";
  stdout?: "piped" | "inherit" | "null";
  stderr?: "piped" | "inherit" | "null";
}

/** The label {@link OneOffContainers} put on every container they start. */
export const oneOffLabel = "io.hailmary.one-off";

/**
 * One-off containers of a service's own image (local, never pulled): the
 * programs of the image run on host folders mounted at the same path, without
 * those programs on the host and without touching the service's container.
 * Tools run with `docker run --rm`; a server runs detached under a name and is
 * reached with `docker exec`. Argument arrays only; environment values travel
 * in the docker process's environment, named by `--env NAME`.
 */
export class OneOffContainers {
  readonly image: string;
  readonly #cli: DockerCli;
  /** The compose project's network, joined by a container that publishes a port. */
  readonly #network: string | undefined;

  constructor(cli: DockerCli, image: string, network: string | undefined) {
    this.#cli = cli;
    this.image = image;
    this.#network = network;
  }

  #runArgs(spec: OneOffSpec, program: string, envNames: readonly string[]): string[] {
    const network = spec.publishPort !== undefined && this.#network ? this.#network : "none";
    return [
      "--pull",
      "never",
      "--network",
      network,
      "--label",
      `${oneOffLabel}=${spec.owner ?? "tool"}`,
      ...(spec.user ? ["--user", spec.user] : []),
      ...spec.mounts.flatMap((m) => ["--volume", `${m.path}:${m.path}${m.readOnly ? ":ro" : ""}`]),
      ...(spec.publishPort !== undefined
        ? ["--publish", `127.0.0.1:${spec.publishPort}:${spec.publishPort}`]
        : []),
      ...envNames.flatMap((name) => ["--env", name]),
      "--entrypoint",
      containerProgram(program),
    ];
  }

  #spawn(args: string[], options: OneOffExecOptions): Deno.ChildProcess {
    return spawnDocker({ ...this.#cli, env: { ...this.#cli.env, ...(options.env ?? {}) } }, args, {
      stdin: options.stdin ?? "null",
      stdout: options.stdout ?? "piped",
      stderr: options.stderr ?? "piped",
    });
  }

  /** Runs a program in a new container removed when it exits (`docker run --rm`); stdin streams in. */
  run(
    spec: OneOffSpec,
    argv: readonly string[],
    options: OneOffExecOptions = {},
  ): Deno.ChildProcess {
    const [program, ...args] = argv;
    if (program === undefined) throw new FailedError("a one-off container needs a program");
    const envNames = Object.keys(options.env ?? {});
    return this.#spawn([
      "run",
      "--rm",
      ...(options.stdin === "piped" ? ["--interactive"] : []),
      ...this.#runArgs(spec, program, envNames),
      this.image,
      ...args,
    ], options);
  }

  /**
   * Starts a detached container named `name` whose main process is `argv`
   * (removed when it exits; SIGINT stops it).
   * @throws {FailedError} when docker cannot start it.
   */
  async start(name: string, spec: OneOffSpec, argv: readonly string[]): Promise<void> {
    const [program, ...args] = argv;
    if (program === undefined) throw new FailedError("a one-off container needs a program");
    const result = await runDocker(this.#cli, [
      "run",
      "--detach",
      "--rm",
      "--name",
      name,
      "--stop-signal",
      "SIGINT",
      ...this.#runArgs(spec, program, []),
      this.image,
      ...args,
    ]);
    if (result.code !== 0) {
      throw new FailedError(
        `starting a container of ${this.image} failed: ${lastLines(result.stderr, 4)}`,
      );
    }
  }

  /** Runs a program in the running container `name` (`docker exec`). */
  exec(name: string, argv: readonly string[], options: OneOffExecOptions = {}): Deno.ChildProcess {
    const [program, ...args] = argv;
    if (program === undefined) throw new FailedError("exec needs a program");
    return this.#spawn([
      "exec",
      ...(options.stdin === "piped" ? ["--interactive"] : []),
      ...Object.keys(options.env ?? {}).flatMap((n) => ["--env", n]),
      name,
      containerProgram(program),
      ...args,
    ], options);
  }

  /** The host pid of the container's main process, or null when it is not running. */
  async mainPid(name: string): Promise<number | null> {
    const result = await runDocker(this.#cli, [
      "inspect",
      "--format",
      "{{.State.Running}} {{.State.Pid}}",
      name,
    ]);
    const [running, pid] = result.stdout.trim().split(" ");
    return result.code === 0 && running === "true" && Number(pid) > 0 ? Number(pid) : null;
  }

  /** Removes (killing) every container started for `owner` (see {@link OneOffSpec.owner}). */
  async removeOwnedBy(owner: string): Promise<void> {
    const listed = await runDocker(this.#cli, [
      "ps",
      "--all",
      "--quiet",
      "--filter",
      `label=${oneOffLabel}=${owner}`,
    ]);
    const ids = listed.stdout.split("\n").map((l) => l.trim()).filter((l) => l);
    if (ids.length) await runDocker(this.#cli, ["rm", "--force", ...ids]);
  }

  /** Stops a container (its stop signal, then SIGKILL after `timeoutSeconds`); gone already is fine. */
  async stop(name: string, timeoutSeconds = 60): Promise<void> {
    await runDocker(this.#cli, ["stop", "--time", String(timeoutSeconds), name]);
    // --rm removes it asynchronously; a forced removal makes sure the name is free
    await runDocker(this.#cli, ["rm", "--force", name]);
  }
}
