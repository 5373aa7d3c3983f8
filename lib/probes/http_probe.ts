import { httpGet } from "./_http_get.ts";
import { timedProbe } from "./_socket.ts";
import type { Probe } from "./types.ts";

/** Healthy when GET url answers 2xx. */
export function httpProbe(url: string, timeoutMs = 3000): Probe {
  return (signal) =>
    timedProbe(signal, timeoutMs, async (s) => {
      const { status } = await httpGet(url, s);
      return {
        healthy: status >= 200 && status < 300,
        detail: status ? `HTTP ${status}` : "no HTTP answer",
      };
    });
}
