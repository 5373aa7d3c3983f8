import { timedProbe } from "./_socket.ts";
import type { Probe } from "./types.ts";

/** Healthy when `_cluster/health` reports green or yellow; red or no answer is unhealthy. */
export function opensearchProbe(url: string, timeoutMs = 3000, authorization?: string): Probe {
  return (signal) =>
    timedProbe(signal, timeoutMs, async (s) => {
      const headers: Record<string, string> = authorization ? { authorization } : {};
      const response = await fetch(`${url.replace(/\/$/, "")}/_cluster/health`, {
        signal: s,
        headers,
      });
      if (!response.ok) {
        await response.body?.cancel();
        return { healthy: false, detail: `HTTP ${response.status}` };
      }
      const body = await response.json() as { status?: string; number_of_nodes?: number };
      const status = body.status ?? "unknown";
      return { healthy: status === "green" || status === "yellow", detail: `cluster ${status}` };
    });
}
