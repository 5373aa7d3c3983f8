/**
 * The web app's answers to malformed requests and its security headers, over
 * real HTTP: the app's own entry point (services/web/app/main.ts) runs as a
 * process against the shared stack's PostgreSQL, Redis and OpenSearch, with
 * read access to its app folder only, and requests go over a raw TCP socket
 * so that bytes like `/../` and `%E0%A4%A` reach the server exactly as sent
 * (fetch would normalise them first).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { endpointsToEnv } from "../../../../lib/ingest/pipeline_endpoints.ts";
import { type EnvConfig, readEnvConfig } from "../../../helpers/data_env.ts";
import { sharedStackEnv } from "../../../helpers/shared_stack.ts";
import { freePort, root } from "../../../helpers/test_stack.ts";

const appDir = join(root, "services", "web", "app");
const unique = `webtest${crypto.randomUUID().slice(0, 8)}`;
let port: number;
let app: Deno.ChildProcess;
let output: Promise<string>;

interface RawAnswer {
  /** 0 when the server reset the connection before any answer arrived. */
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** Sends bytes as they are over one connection and reads the whole answer (`Connection: close`). */
async function raw(bytes: Uint8Array): Promise<RawAnswer> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => conn.close(), 10_000);
  const chunks: Uint8Array[] = [];
  try {
    await conn.write(bytes);
    const buffer = new Uint8Array(65_536);
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      chunks.push(buffer.slice(0, n));
    }
  } catch (error) {
    // a server that answers before reading the whole request and closes resets the connection
    if (
      !(error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe)
    ) {
      throw error;
    }
    if (chunks.length === 0) return { status: 0, headers: new Map(), body: "" };
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // closed by the timer
    }
  }
  const text = new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
  const headEnd = text.indexOf("\r\n\r\n");
  if (headEnd === -1) throw new Error(`no complete HTTP answer: ${JSON.stringify(text)}`);
  const [statusLine, ...lines] = text.slice(0, headEnd).split("\r\n");
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  let body = text.slice(headEnd + 4);
  if (headers.get("transfer-encoding") === "chunked") {
    let decoded = "";
    for (;;) {
      const lineEnd = body.indexOf("\r\n");
      const size = parseInt(body.slice(0, lineEnd), 16);
      if (!size) break;
      decoded += body.slice(lineEnd + 2, lineEnd + 2 + size);
      body = body.slice(lineEnd + 2 + size + 2);
    }
    body = decoded;
  }
  return { status: Number(statusLine!.split(" ")[1]), headers, body };
}

const encoder = new TextEncoder();

/** A request with the target, method and headers exactly as given. */
function request(
  target: string,
  options: { method?: string; host?: string; headers?: string } = {},
): Promise<RawAnswer> {
  const host = options.host ?? `127.0.0.1:${port}`;
  return raw(encoder.encode(
    `${options.method ?? "GET"} ${target} HTTP/1.1\r\nHost: ${host}\r\n${
      options.headers ?? ""
    }Connection: close\r\n\r\n`,
  ));
}

function expectSecurityHeaders(answer: RawAnswer) {
  const csp = answer.headers.get("content-security-policy") ?? "";
  expect(csp).toContain("frame-ancestors 'none'");
  // what the policy said before frame-ancestors joined it
  for (
    const directive of [
      "default-src 'self'",
      "img-src 'self' data:",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'self'",
    ]
  ) expect(csp).toContain(directive);
  expect(answer.headers.get("x-frame-options")).toBe("DENY");
  expect(answer.headers.get("x-content-type-options")).toBe("nosniff");
  expect(answer.headers.get("referrer-policy")).toBe("no-referrer");
}

/** A JSON error body naming a problem, with no stack trace, source path or internal address. */
function expectCleanError(answer: RawAnswer): string {
  expect(answer.headers.get("content-type")).toMatch(/^application\/json/);
  const body = JSON.parse(answer.body) as { error?: unknown };
  expect(Object.keys(body)).toEqual(["error"]);
  expect(typeof body.error).toBe("string");
  const error = body.error as string;
  expect(error).not.toMatch(/\n\s*at |\.ts:\d|file:\/\/|\/work\/|Error:|127\.0\.0\.1|internal/i);
  return error;
}

async function waitForApp(): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health`);
      await response.body?.cancel();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(`the web app did not become healthy:\n${await stopApp()}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function stopApp(): Promise<string> {
  try {
    app.kill("SIGTERM");
  } catch {
    // already gone
  }
  await app.status;
  return await output;
}

beforeAll(async () => {
  const config: EnvConfig = await readEnvConfig(sharedStackEnv());
  const secret = async (name: string) =>
    (await Deno.readTextFile(join(config.stateDir, "secrets", name))).trim();
  const services = config.services;
  const endpoints = {
    postgres: {
      host: "127.0.0.1",
      port: Number(services.postgres?.port),
      database: "app",
      user: "app",
      password: await secret("postgres-app-password"),
    },
    redis: {
      host: "127.0.0.1",
      port: Number(services.redis?.port),
      password: await secret("redis-password"),
    },
    opensearchUrl: `http://127.0.0.1:${services.opensearch?.port}`,
    // an index and a key prefix of its own: searches find nothing, and touch no other suite's data
    queuePrefix: unique,
    index: unique,
  };
  port = freePort();
  const net = [
    `127.0.0.1:${endpoints.postgres.port}`,
    `127.0.0.1:${endpoints.redis.port}`,
    `127.0.0.1:${services.opensearch?.port}`,
    `127.0.0.1:${port}`,
  ];
  // the permissions the service gives the app: read its own folder only, so a file read
  // anywhere else at run time fails this suite
  app = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-prompt",
      `--config=${join(root, "deno.json")}`,
      `--allow-net=${net.join(",")}`,
      "--allow-env=HAILMARY_*,PG*,REDIS_*,LOG_TOKENS,LOG_STREAM",
      `--allow-read=${appDir}`,
      join(appDir, "main.ts"),
    ],
    cwd: root,
    env: { ...endpointsToEnv(endpoints), HAILMARY_WEB_PORT: String(port), NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const text = (stream: ReadableStream<Uint8Array>) => new Response(stream).text();
  output = Promise.all([text(app.stdout), text(app.stderr)]).then(([o, e]) => o + e);
  await waitForApp();
});

afterAll(async () => {
  if (app) await stopApp();
});

// [what, request target, status, words the error must contain]
const malformed: [string, string, number, RegExp][] = [
  ["a truncated UTF-8 sequence in the path", "/api/documents/%E0%A4%A", 400, /percent-encoded/],
  ["a byte that is never UTF-8 in the path", "/api/documents/%FF", 400, /percent-encoded/],
  ["an overlong UTF-8 slash in the path", "/static/%C0%AF", 400, /percent-encoded/],
  ["a UTF-16 surrogate in the path", "/api/documents/%ED%A0%80", 400, /percent-encoded/],
  ["a percent sign without hex digits", "/api/documents/%zz", 400, /percent-encoded/],
  ["a truncated UTF-8 sequence in q", "/api/search?q=%E0%A4%A", 400, /"q".*percent-encoded/],
  ["a byte that is never UTF-8 in q", "/api/search?q=%FF", 400, /"q".*percent-encoded/],
  ["a bad percent sequence in size", "/api/search?q=a&size=%G1", 400, /"size".*percent-encoded/],
  ["a bad percent sequence in a name", "/api/search?q=a&%E0=1", 400, /query string/],
  ["dot segments", "/static/../../deno.json", 400, /".." segment/],
  ["dot segments under /api", "/api/documents/../../deno.json", 400, /".." segment/],
  ["a single dot segment", "/./search.js", 400, /"\." or "\.\." segment/],
  ["encoded dot segments", "/static/%2e%2e/%2E%2E/deno.json", 400, /".." segment/],
  ["encoded dots and slashes", "/static/%2e%2e%2f%2e%2e%2fdeno.json", 400, /encoded "\/"/],
  ["backslashes", "/static/..\\..\\deno.json", 400, /"\\"/],
  ["encoded backslashes", "/static/..%5c..%5cdeno.json", 400, /"\\"/],
  ["an encoded slash in an id", "/api/documents/1%2F2", 400, /encoded "\/"/],
  ["an encoded NUL in the path", "/api/documents/1%00", 400, /control character/],
  ["an overlong path", `/${"a".repeat(9000)}`, 414, /longer than 8192/],
  ["an overlong query", `/api/search?q=${"a".repeat(9000)}`, 414, /longer than 8192/],
  ["a q over 500 characters", `/api/search?q=${"a".repeat(501)}`, 400, /longer than 500/],
  ["no q", "/api/search?size=5", 400, /q is missing/],
  ["a blank q", "/api/search?q=+%20+", 400, /q is missing/],
  ["a non-numeric id", "/api/documents/x1", 400, /document id "x1"/],
  ["a zero id", "/api/documents/0", 400, /document id "0"/],
  ["a negative id", "/api/documents/-1", 400, /document id "-1"/],
  ["a fractional id", "/api/documents/1.5", 400, /document id "1.5"/],
  ["an id past bigint", "/api/documents/9223372036854775808", 400, /9223372036854775807/],
  ["a 40-digit id", `/api/documents/${"9".repeat(40)}`, 400, /not a whole number/],
  ["an empty id", "/api/documents/", 400, /document id ""/],
  ["a non-numeric size", "/api/search?q=a&size=ten", 400, /size.*"ten"/],
  ["a zero size", "/api/search?q=a&size=0", 400, /size must be/],
  ["a size over the maximum", "/api/search?q=a&size=51", 400, /from 1 to 50/],
  ["a negative size", "/api/search?q=a&size=-1", 400, /size must be/],
  ["an exponent size", "/api/search?q=a&size=1e1", 400, /size must be/],
  ["an empty size", "/api/search?q=a&size=", 400, /size must be/],
  ["a huge size", `/api/search?q=a&size=${"9".repeat(30)}`, 400, /size must be/],
  ["a non-numeric from", "/api/search?q=a&from=abc", 400, /from.*"abc"/],
  ["a negative from", "/api/search?q=a&from=-5", 400, /from must be/],
  ["from past the window", "/api/search?q=a&size=10&from=9991", 400, /at most 10000/],
  ["a huge from", `/api/search?q=a&from=${"9".repeat(30)}`, 400, /from must be/],
  ["an unknown page", "/deno.json", 404, /no such page/],
];

describe("malformed requests", () => {
  it.each(malformed)("answers %s with a JSON error naming it", async (_, target, status, words) => {
    const answer = await request(target);
    expect(answer.status, answer.body).toBe(status);
    expect(expectCleanError(answer)).toMatch(words);
    expectSecurityHeaders(answer);
  });

  it.each([
    ["POST", "/api/search?q=a"],
    ["DELETE", "/api/documents/1"],
    ["PUT", "/"],
    ["OPTIONS", "/api/search"],
    ["PATCH", "/api/documents/%E0%A4%A"],
  ])("answers %s %s with 405 and Allow", async (method, target) => {
    const answer = await request(target, { method, headers: "Content-Length: 0\r\n" });
    expect(answer.status).toBe(405);
    expect(answer.headers.get("allow")).toBe("GET, HEAD");
    expect(expectCleanError(answer)).toContain(`method "${method}" is not allowed`);
    expectSecurityHeaders(answer);
  });

  // Deno builds request.url from the Host header: an invalid one made `new URL` throw (a 500),
  // and one holding "/" or "?" moved the path the app routed on
  it.each(["a b", "[::1", "localhost:99999", "x/../deno.json?", "x?q=1"])(
    "answers the Host header %j with 400",
    async (host) => {
      const answer = await request("/api/search?q=a", { host });
      expect(answer.status).toBe(400);
      expect(expectCleanError(answer)).toMatch(/Host header/);
      expectSecurityHeaders(answer);
    },
  );

  it("answers headers over 16 KiB with 431 and a JSON error", async () => {
    const answer = await request("/api/search?q=a", {
      headers: `Cookie: ${"c".repeat(20_000)}\r\n`,
    });
    expect(answer.status).toBe(431);
    expect(expectCleanError(answer)).toMatch(/headers are larger than 16384 bytes/);
    expectSecurityHeaders(answer);
  });

  // past 64 KiB of request head, or about a hundred header lines, Deno's server answers
  // before the app sees the request: a 400 with an empty body (and so without our headers),
  // then closes with the rest unread, which can reset the connection before the client reads
  // the 400 (status 0 here)
  it.each([
    ["a 100 KiB header", `X-Big: ${"b".repeat(100_000)}\r\n`, "/"],
    ["200 header lines", Array.from({ length: 200 }, (_, i) => `X-H${i}: v\r\n`).join(""), "/"],
    ["a 100 KiB target", "", `/api/search?q=${"a".repeat(100_000)}`],
  ])("leaves %s to Deno's server, which answers 400 with nothing in the body", async (
    _,
    headers,
    target,
  ) => {
    const answer = await request(target, { headers });
    expect([0, 400]).toContain(answer.status);
    expect(answer.body).toBe("");
  });

  it("answers raw bytes that are not UTF-8 in the path with 400 (Deno's server)", async () => {
    const answer = await raw(
      new Uint8Array([
        ...encoder.encode("GET /api/documents/"),
        0xff,
        ...encoder.encode(` HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`),
      ]),
    );
    expect(answer.status).toBe(400);
    expect(answer.body).not.toMatch(/\n\s*at |\.ts:\d/);
  });
});

describe("normal requests", () => {
  it("serves the page with a CSP forbidding framing and the other security headers", async () => {
    for (const target of ["/", "/index.html", "/search.js", "/search.css"]) {
      const answer = await request(target);
      expect(answer.status, target).toBe(200);
      expectSecurityHeaders(answer);
    }
    const page = await request("/");
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.body).toContain("<form");
  });

  it("takes the longest q in 3-byte UTF-8, percent-encoded", async () => {
    const answer = await request(`/api/search?q=${encodeURIComponent("語".repeat(500))}`);
    expect(answer.status, answer.body).toBe(200);
  });

  it("answers the API with the same headers, and decodes UTF-8 and + in a query", async () => {
    const search = await request("/api/search?q=caf%C3%A9+cr%C3%A8me&size=5&from=0");
    expect(search.status, search.body).toBe(200);
    expect(JSON.parse(search.body)).toEqual({ total: 0, hits: [] });
    expectSecurityHeaders(search);
    const health = await request("/health");
    expect(health.status).toBe(200);
    expectSecurityHeaders(health);
    // 404 once the migrations have run on the shared stack, 503 before (no documents table):
    // either way a clean JSON error, never the database's own message
    const missing = await request("/api/documents/9223372036854775807");
    expect([404, 503], missing.body).toContain(missing.status);
    expect(expectCleanError(missing)).toMatch(
      /^(no document 9223372036854775807|the document store is unavailable, try again later)$/,
    );
    expectSecurityHeaders(missing);
  });

  it("answered every request without an internal error and is still running", async () => {
    const health = await request("/health");
    expect(health.status).toBe(200);
    const log = await stopApp();
    expect(log).not.toMatch(/ERROR|Uncaught|PermissionDenied|NotCapable/);
  });
});
