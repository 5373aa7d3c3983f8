import { type ProcessStart, processStartOrNow } from "../runtime/proc.ts";

let started: Promise<ProcessStart> | undefined;

/** When this process started, asked of `ps` once per process. */
export function selfStart(): Promise<ProcessStart> {
  started ??= processStartOrNow(Deno.pid);
  return started;
}
