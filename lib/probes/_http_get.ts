import { connectTcp, readUntil, safeClose } from "./_socket.ts";

/**
 * A plain HTTP/1.1 GET over a socket, as curl does. Probes run on every
 * `health`, and starting Deno's fetch client costs more than the request;
 * https falls back to fetch.
 */
export async function httpGet(
  url: string,
  signal: AbortSignal,
): Promise<{ status: number; body: string }> {
  const target = new URL(url);
  if (target.protocol !== "http:") {
    const response = await fetch(target, { signal });
    return { status: response.status, body: await response.text() };
  }
  const conn = await connectTcp(target.hostname, Number(target.port || 80), signal);
  try {
    const request = `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\n` +
      `Accept: application/json\r\nConnection: close\r\n\r\n`;
    await conn.write(new TextEncoder().encode(request));
    const raw = new TextDecoder().decode(await readUntil(conn, () => false, 1 << 20));
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(raw)?.[1] ?? 0);
    return { status, body: raw.slice(raw.indexOf("\r\n\r\n") + 4) };
  } finally {
    safeClose(conn);
  }
}
