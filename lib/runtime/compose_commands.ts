import { basename, isAbsolute } from "../posix_path.ts";
import type { ComposeProject } from "./compose_project.ts";

/**
 * The argument arrays the compose runtime gives `docker`: plain data, built
 * here and nowhere else, so tests can read exactly what would run. Values
 * never pass through a shell; secrets never appear (they travel in the
 * environment of the `docker` process, named by `--env NAME`).
 */
export const composeCommands = {
  /** `docker compose <project flags>`: name, directory, files and env file. */
  base(project: ComposeProject): string[] {
    return [
      "compose",
      "--project-name",
      project.name,
      "--project-directory",
      project.directory,
      ...project.files.flatMap((file) => ["--file", file]),
      ...(project.envFile ? ["--env-file", project.envFile] : []),
    ];
  },

  /** Starts one service (not its dependencies: the graph orders them) and waits until healthy. */
  /** Creates a service's container and the project network without starting anything. */
  create(project: ComposeProject, service: string): string[] {
    return [...composeCommands.base(project), "up", "--no-start", "--no-deps", service];
  },
  up(project: ComposeProject, service: string, waitTimeoutSeconds: number): string[] {
    return [
      ...composeCommands.base(project),
      "up",
      "--detach",
      "--wait",
      "--wait-timeout",
      String(waitTimeoutSeconds),
      "--no-deps",
      service,
    ];
  },

  /** Stops and removes the containers of one service (volumes and data stay). */
  remove(project: ComposeProject, service: string): string[] {
    return [...composeCommands.base(project), "rm", "--stop", "--force", service];
  },

  /** Kills the containers of one service at once (a crashed service has nothing to stop gracefully). */
  kill(project: ComposeProject, service: string): string[] {
    return [...composeCommands.base(project), "kill", service];
  },

  /** Removes what is left of the project (its network) once no container remains; volumes stay. */
  down(project: ComposeProject): string[] {
    return [...composeCommands.base(project), "down", "--remove-orphans"];
  },

  /** Every container of the project, running or not, as JSON. */
  ps(project: ComposeProject): string[] {
    return [...composeCommands.base(project), "ps", "--all", "--format", "json"];
  },

  /** The merged, interpolated model of the project as JSON. */
  config(project: ComposeProject): string[] {
    return [...composeCommands.base(project), "config", "--format", "json"];
  },

  /** The last `tail` log lines of a service, then new ones when following. */
  logs(project: ComposeProject, service: string, tail: number, follow: boolean): string[] {
    return [
      ...composeCommands.base(project),
      "logs",
      "--no-color",
      "--no-log-prefix",
      "--tail",
      String(tail),
      ...(follow ? ["--follow"] : []),
      service,
    ];
  },

  /**
   * Runs a client program in the service's (first) container. `envNames` are
   * passed as `--env NAME` without values: docker reads them from its own
   * environment. A program given as a host path (`/usr/lib/postgresql/15/bin/pg_dump`)
   * runs by its name from the container's PATH. `tty` allocates a terminal
   * (interactive psql); otherwise `-T` keeps stdin and stdout plain byte streams.
   */
  exec(
    project: ComposeProject,
    service: string,
    argv: readonly string[],
    options: { envNames?: readonly string[]; tty?: boolean; workdir?: string; user?: string } = {},
  ): string[] {
    const [program, ...args] = argv;
    if (program === undefined) throw new Error("exec needs a program");
    return [
      ...composeCommands.base(project),
      "exec",
      ...(options.tty ? [] : ["-T"]),
      ...(options.envNames ?? []).flatMap((name) => ["--env", name]),
      ...(options.user ? ["--user", options.user] : []),
      ...(options.workdir ? ["--workdir", options.workdir] : []),
      service,
      containerProgram(program),
      ...args,
    ];
  },

  /** Sets the number of replicas of a stateless service and waits until they are healthy. */
  scale(
    project: ComposeProject,
    service: string,
    replicas: number,
    waitTimeoutSeconds: number,
  ): string[] {
    return [
      ...composeCommands.base(project),
      "up",
      "--detach",
      "--wait",
      "--wait-timeout",
      String(waitTimeoutSeconds),
      "--no-deps",
      "--no-recreate",
      "--scale",
      `${service}=${replicas}`,
      service,
    ];
  },

  /** Container details (state, pid, start time, health log, published ports) for `docker inspect`. */
  inspect(ids: readonly string[]): string[] {
    return ["inspect", ...ids];
  },
};

/** A program as the container runs it: host paths become the program name, found on the container's PATH. */
export function containerProgram(program: string): string {
  return isAbsolute(program) ? basename(program) : program;
}
