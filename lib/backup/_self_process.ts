import { type ProcessStart, processStart } from "../runtime/proc.ts";

let started: Promise<ProcessStart> | undefined;

/** When this process started, asked of `ps` once per process. */
export function selfStart(): Promise<ProcessStart> {
  started ??= processStart(Deno.pid).then((start) =>
    start ?? { startedEpoch: Math.round(Date.now() / 1000) }
  );
  return started;
}
