import { readProcStat } from "../runtime/proc.ts";

let started: Promise<number> | undefined;

/** When this process started (Unix seconds), asked of `ps` once per process. */
export function selfStartedEpoch(): Promise<number> {
  started ??= readProcStat(Deno.pid).then((stat) =>
    stat?.startedEpoch ?? Math.round(Date.now() / 1000)
  );
  return started;
}
