import { connectTcp, readUntil, safeClose, timedProbe } from "./_socket.ts";
import type { Probe } from "./types.ts";

const encoder = new TextEncoder();

/** Encodes a command as a RESP array. */
export function respCommand(...args: string[]): string {
  return `*${args.length}\r\n` +
    args.map((a) => `$${encoder.encode(a).length}\r\n${a}\r\n`).join("");
}

/** Healthy when the server answers PING with PONG (after AUTH when a password is set). */
export function redisProbe(host: string, port: number, password?: string, timeoutMs = 2000): Probe {
  return (signal) =>
    timedProbe(signal, timeoutMs, async (s) => {
      const conn = await connectTcp(host, port, s);
      try {
        const request = (password ? respCommand("AUTH", password) : "") + respCommand("PING");
        await conn.write(encoder.encode(request));
        const expected = password ? 2 : 1;
        const reply = new TextDecoder().decode(
          await readUntil(conn, (d) => countLines(d) >= expected),
        );
        const lines = reply.split("\r\n").filter(Boolean);
        const last = lines[expected - 1] ?? lines[0] ?? "";
        if (last === "+PONG") return { healthy: true, detail: "PONG" };
        if (last.startsWith("-LOADING")) return { healthy: false, detail: "loading the dataset" };
        if (last.startsWith("-NOAUTH") || (lines[0] ?? "").startsWith("-WRONGPASS")) {
          return { healthy: false, detail: "authentication failed" };
        }
        return { healthy: false, detail: last.replace(/^-/, "") || "no reply" };
      } finally {
        safeClose(conn);
      }
    });
}

function countLines(data: Uint8Array): number {
  let n = 0;
  for (let i = 1; i < data.length; i++) if (data[i - 1] === 13 && data[i] === 10) n++;
  return n;
}
