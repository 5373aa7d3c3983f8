import { connectTcp, safeClose, timedProbe } from "./_socket.ts";
import type { Probe } from "./types.ts";

/** Healthy when a TCP connection to host:port opens. */
export function tcpProbe(host: string, port: number, timeoutMs = 2000): Probe {
  return (signal) =>
    timedProbe(signal, timeoutMs, async (s) => {
      const conn = await connectTcp(host, port, s);
      safeClose(conn);
      return { healthy: true, detail: `port ${port} open` };
    });
}
