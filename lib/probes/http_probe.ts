import { timedProbe } from "./_socket.ts";
import type { Probe } from "./types.ts";

/** Healthy when GET url answers 2xx. */
export function httpProbe(url: string, timeoutMs = 3000): Probe {
  return (signal) =>
    timedProbe(signal, timeoutMs, async (s) => {
      const response = await fetch(url, { signal: s });
      await response.body?.cancel();
      return { healthy: response.ok, detail: `HTTP ${response.status}` };
    });
}
