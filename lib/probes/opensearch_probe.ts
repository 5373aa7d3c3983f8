import { connectTcp, readUntil, safeClose, timedProbe } from "./_socket.ts";
import type { Probe } from "./types.ts";

/**
 * Healthy when `_cluster/health` reports green or yellow; red or no answer is
 * unhealthy. Speaks plain HTTP/1.1 over a socket (like curl would) rather than
 * fetch: the probe runs on every `health` and the fetch client costs more to
 * start than the request itself.
 */
export function opensearchProbe(url: string, timeoutMs = 3000): Probe {
  const target = new URL(url);
  const port = Number(target.port || (target.protocol === "https:" ? 443 : 80));
  return (signal) =>
    timedProbe(signal, timeoutMs, async (s) => {
      if (target.protocol !== "http:") {
        const response = await fetch(new URL("/_cluster/health", target), { signal: s });
        return colour(response.status, await response.text());
      }
      const conn = await connectTcp(target.hostname, port, s);
      try {
        const request =
          `GET /_cluster/health HTTP/1.1\r\nHost: ${target.host}\r\nAccept: application/json\r\nConnection: close\r\n\r\n`;
        await conn.write(new TextEncoder().encode(request));
        const raw = new TextDecoder().decode(await readUntil(conn, () => false, 1 << 20));
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(raw)?.[1] ?? 0);
        return colour(status, raw.slice(raw.indexOf("\r\n\r\n") + 4));
      } finally {
        safeClose(conn);
      }
    });
}

function colour(status: number, body: string): { healthy: boolean; detail: string } {
  if (status < 200 || status >= 300) {
    return { healthy: false, detail: status ? `HTTP ${status}` : "no HTTP answer" };
  }
  const colourName = /"status"\s*:\s*"(\w+)"/.exec(body)?.[1] ?? "unknown";
  return {
    healthy: colourName === "green" || colourName === "yellow",
    detail: `cluster ${colourName}`,
  };
}
