import type { ProbeResult } from "./types.ts";

/** Runs a probe body with a timeout and turns every failure into an unhealthy result with latency. */
export async function timedProbe(
  signal: AbortSignal,
  timeoutMs: number,
  body: (signal: AbortSignal) => Promise<{ healthy: boolean; detail: string }>,
): Promise<ProbeResult> {
  const started = performance.now();
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = AbortSignal.any([signal, timeout]);
  try {
    const outcome = await abortable(body(combined), combined);
    return { ...outcome, latencyMs: round(performance.now() - started) };
  } catch (error) {
    const detail = timeout.aborted ? `no answer within ${timeoutMs} ms` : describeError(error);
    return { healthy: false, detail, latencyMs: round(performance.now() - started) };
  }
}

/** Opens a TCP connection that is closed when the signal aborts. */
export async function connectTcp(
  host: string,
  port: number,
  signal: AbortSignal,
): Promise<Deno.TcpConn> {
  const conn = await abortable(Deno.connect({ hostname: host, port }), signal);
  if (signal.aborted) {
    conn.close();
    throw signal.reason;
  }
  signal.addEventListener("abort", () => safeClose(conn), { once: true });
  return conn;
}

/** Closes a connection, ignoring an already-closed one. */
export function safeClose(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

/** Reads from a connection until `done(bytes)` says the answer is complete. */
export async function readUntil(
  conn: Deno.Conn,
  done: (data: Uint8Array) => boolean,
  max = 65536,
): Promise<Uint8Array> {
  let data = new Uint8Array(0);
  const buf = new Uint8Array(4096);
  while (!done(data)) {
    const n = await conn.read(buf);
    if (n === null) break;
    const next = new Uint8Array(data.length + n);
    next.set(data);
    next.set(buf.subarray(0, n), data.length);
    data = next;
    if (data.length > max) break;
  }
  return data;
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

function describeError(error: unknown): string {
  if (error instanceof Deno.errors.ConnectionRefused) return "connection refused";
  if (error instanceof Deno.errors.ConnectionReset) return "connection reset";
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0]!.replace(/ \(os error \d+\)$/, "").toLowerCase();
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
