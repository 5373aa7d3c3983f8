import { FailedError } from "../errors.ts";
import { sleep } from "./proc.ts";

/** A program to start detached from this process. */
export interface DetachedProgram {
  /** The program and its arguments (prefixed by {@link asUser} to drop root). */
  argv: string[];
  /** Variables beside PATH and LANG; nothing else of this process's environment is passed. */
  env?: Record<string, string>;
  cwd: string;
  /** Where the program's pid is written (atomically) once it runs. */
  pidFile: string;
  /** Where its stdout and stderr are appended. */
  logFile: string;
  /** What it is, for messages: `web`, `the recovery server`. */
  name: string;
}

/** How long a launched program may take to write its pid file. */
const pidWaitMs = 5000;

/**
 * Starts a program in its own session and process group (`setsid -f`),
 * re-parented away from this process so it outlives the task and a group
 * kill reaches all of it, with stdin closed and its output appended to the
 * log file; returns the pid it wrote to the pid file.
 * @throws {FailedError} when it could not be started or wrote no pid in time.
 */
export async function launchDetached(program: DetachedProgram): Promise<number> {
  await Deno.remove(program.pidFile).catch(() => {});
  const script =
    'echo $$ > "$OPS_PID_FILE.tmp" && mv "$OPS_PID_FILE.tmp" "$OPS_PID_FILE"; exec "$@" >>"$OPS_LOG_FILE" 2>&1 </dev/null';
  const child = new Deno.Command("setsid", {
    args: ["-f", "sh", "-c", script, "sh", ...program.argv],
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/local/bin:/usr/bin:/bin",
      LANG: "C.UTF-8",
      OPS_PID_FILE: program.pidFile,
      OPS_LOG_FILE: program.logFile,
      ...program.env,
    },
    clearEnv: true,
    cwd: program.cwd,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const { code, stderr } = await child.output();
  if (code !== 0) {
    throw new FailedError(
      `could not launch ${program.name}: ${new TextDecoder().decode(stderr).trim()}`,
    );
  }
  const deadline = Date.now() + pidWaitMs;
  while (Date.now() < deadline) {
    const pid = Number((await Deno.readTextFile(program.pidFile).catch(() => "")).trim());
    if (pid > 0) return pid;
    await sleep(20);
  }
  throw new FailedError(`${program.name} did not write its pid file ${program.pidFile}`);
}
