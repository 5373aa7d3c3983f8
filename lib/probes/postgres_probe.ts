import { connectTcp, readUntil, safeClose, timedProbe } from "./_socket.ts";
import type { Probe } from "./types.ts";

const encoder = new TextEncoder();

/**
 * Healthy when the server accepts connections, checked the way `pg_isready`
 * does: send a startup packet and read the first answer. An authentication
 * request means it accepts; "starting up" or "shutting down" means it does not.
 */
export function postgresProbe(
  host: string,
  port: number,
  user: string,
  database: string,
  timeoutMs = 2000,
): Probe {
  return (signal) =>
    timedProbe(signal, timeoutMs, async (s) => {
      const conn = await connectTcp(host, port, s);
      try {
        await conn.write(startupMessage(user, database));
        const reply = await readUntil(
          conn,
          (d) => d.length >= 5 && d.length >= 1 + readInt32(d, 1),
        );
        const kind = String.fromCharCode(reply[0] ?? 0);
        if (kind === "R") return { healthy: true, detail: "accepting connections" };
        if (kind === "E") {
          const fields = errorFields(reply);
          const code = fields.get("C") ?? "";
          if (code === "57P03") {
            return { healthy: false, detail: fields.get("M") ?? "not accepting connections" };
          }
          if (code.startsWith("28") || code === "3D000") {
            return { healthy: true, detail: `accepting connections (${fields.get("M")})` };
          }
          return { healthy: false, detail: fields.get("M") ?? `error ${code}` };
        }
        return { healthy: false, detail: "unexpected reply" };
      } finally {
        // close without a Terminate message: the server treats an EOF during
        // authentication as silent, where a Terminate would log a FATAL line per probe
        safeClose(conn);
      }
    });
}

function startupMessage(user: string, database: string): Uint8Array {
  const body = encoder.encode(
    `user\0${user}\0database\0${database}\0application_name\0hailmary-ops-probe\0\0`,
  );
  const out = new Uint8Array(8 + body.length);
  const view = new DataView(out.buffer);
  view.setInt32(0, out.length);
  view.setInt32(4, 196608);
  out.set(body, 8);
  return out;
}

function readInt32(data: Uint8Array, offset: number): number {
  return new DataView(data.buffer, data.byteOffset).getInt32(offset);
}

function errorFields(reply: Uint8Array): Map<string, string> {
  const fields = new Map<string, string>();
  const text = new TextDecoder().decode(reply.subarray(5));
  for (const part of text.split("\0")) {
    if (part.length > 1) fields.set(part[0]!, part.slice(1));
  }
  return fields;
}
