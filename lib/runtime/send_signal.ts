import { FailedError } from "../errors.ts";

/**
 * Sends a signal to a process (`target` > 0) or a process group (`target` < 0)
 * and returns whether it was delivered. Deno's own `Deno.kill` needs
 * permission to run every program; under a permission set that names its
 * programs it is refused, so the `kill` program is run instead.
 * @throws {FailedError} when neither may be used: a stop that cannot signal must not look done.
 */
export async function sendSignal(target: number, signal: Deno.Signal): Promise<boolean> {
  // 0 is this process's own group, -1 every process, 1 and -1's group init: never a service
  if (!Number.isInteger(target) || Math.abs(target) <= 1) {
    throw new FailedError(`refusing to send ${signal} to ${target}: not a process of a service`);
  }
  try {
    Deno.kill(target, signal);
    return true;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotCapable)) return false; // no such process
  }
  let command: Deno.Command;
  try {
    command = new Deno.Command("kill", {
      args: ["-s", signal.replace(/^SIG/, ""), "--", String(target)],
      stdout: "null",
      stderr: "null",
    });
    return (await command.output()).success;
  } catch (error) {
    throw new FailedError(
      `cannot send ${signal} to ${target < 0 ? "process group" : "process"} ${Math.abs(target)}: ${
        error instanceof Error ? error.message : error
      }`,
      { hint: "the task's permission set must allow running kill" },
    );
  }
}
