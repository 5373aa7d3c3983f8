import { httpGet } from "./_http_get.ts";
import { timedProbe } from "./_socket.ts";
import type { Probe } from "./types.ts";

/** Healthy when `_cluster/health` reports green or yellow; red or no answer is unhealthy. */
export function opensearchProbe(url: string, timeoutMs = 3000): Probe {
  const healthUrl = `${url.replace(/\/$/, "")}/_cluster/health`;
  return (signal) =>
    timedProbe(signal, timeoutMs, async (s) => {
      const { status, body } = await httpGet(healthUrl, s);
      if (status < 200 || status >= 300) {
        return { healthy: false, detail: status ? `HTTP ${status}` : "no HTTP answer" };
      }
      const colour = /"status"\s*:\s*"(\w+)"/.exec(body)?.[1] ?? "unknown";
      return { healthy: colour === "green" || colour === "yellow", detail: `cluster ${colour}` };
    });
}
