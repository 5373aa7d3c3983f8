/**
 * Helpers for the Redis and OpenSearch data-task tests: a copy of an
 * environment with a private backup folder (and `protected` when asked), and
 * direct clients to the servers it names, to write and compare data
 * independently of the tasks under test.
 */
import { join } from "node:path";
import { createClient } from "redis";
import { parse, stringify } from "yaml";

/** The parts of an environment file the tests read. */
export interface EnvConfig {
  name: string;
  stateDir: string;
  backupDir: string;
  protected?: boolean;
  services: Record<string, Record<string, unknown>>;
}

/** An environment file copied from another, pointing at the same servers. */
export interface EnvCopy {
  file: string;
  backupDir: string;
  config: EnvConfig;
  remove(): Promise<void>;
}

/** Reads an environment file. */
export async function readEnvConfig(file: string): Promise<EnvConfig> {
  return parse(await Deno.readTextFile(file)) as EnvConfig;
}

/** Copies `envFile` under a new name with its own backup folder (and `protected` when asked). */
export async function copyEnvironment(
  envFile: string,
  name: string,
  options: { protected?: boolean } = {},
): Promise<EnvCopy> {
  const dir = await Deno.makeTempDir({ prefix: `hailmary-${name}-` });
  await Deno.chmod(dir, 0o755);
  const config = await readEnvConfig(envFile);
  config.name = name;
  config.backupDir = join(dir, "backups");
  config.protected = options.protected ?? false;
  const file = join(dir, `${name}.yaml`);
  await Deno.writeTextFile(file, stringify(config));
  return {
    file,
    backupDir: config.backupDir,
    config,
    remove: () => Deno.remove(dir, { recursive: true }).catch(() => {}),
  };
}

/** The base URL of the environment's OpenSearch. */
export function opensearchUrl(config: EnvConfig): string {
  return `http://127.0.0.1:${config.services.opensearch?.port}`;
}

/** A connected node-redis client for a database of the environment's Redis (generated password). */
export async function redisFor(
  config: EnvConfig,
  database = 0,
): Promise<ReturnType<typeof createClient>> {
  const password = (await Deno.readTextFile(join(config.stateDir, "secrets", "redis-password")))
    .trim();
  const client = createClient({
    socket: {
      host: "127.0.0.1",
      port: Number(config.services.redis?.port),
      reconnectStrategy: false,
    },
    password,
    database,
  });
  client.on("error", () => {});
  await client.connect();
  return client as unknown as ReturnType<typeof createClient>;
}

/** Sends one JSON request to OpenSearch and returns the parsed answer (throws on an error status). */
export async function os<T = unknown>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const ndjson = typeof body === "string";
  const response = await fetch(base + path, {
    method,
    headers: body === undefined
      ? {}
      : { "content-type": ndjson ? "application/x-ndjson" : "application/json" },
    body: body === undefined ? null : ndjson ? body as string : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Indexes documents by id (refreshing), failing on any item error. */
export async function indexDocuments(
  base: string,
  index: string,
  docs: Record<string, Record<string, unknown>>,
): Promise<void> {
  const lines = Object.entries(docs).flatMap(([id, doc]) => [
    JSON.stringify({ index: { _index: index, _id: id } }),
    JSON.stringify(doc),
  ]);
  const answer = await os<{ errors: boolean; items: unknown[] }>(
    base,
    "POST",
    "/_bulk?refresh=true",
    lines.join("\n") + "\n",
  );
  if (answer.errors) throw new Error(`bulk into ${index} failed: ${JSON.stringify(answer.items)}`);
}

/** Every document of an index (or alias) by id, sorted, with its source. */
export async function allDocuments(
  base: string,
  index: string,
): Promise<Record<string, unknown>> {
  await os(base, "POST", `/${index}/_refresh`);
  const answer = await os<{ hits: { hits: { _id: string; _source: unknown }[] } }>(
    base,
    "POST",
    `/${index}/_search`,
    { size: 10_000, query: { match_all: {} } },
  );
  const hits = answer.hits.hits.map((h) => [h._id, h._source] as const);
  return Object.fromEntries(hits.sort((a, b) => a[0].localeCompare(b[0])));
}

/** Flips one byte in the middle of a file. */
export async function flipByte(path: string): Promise<void> {
  const bytes = await Deno.readFile(path);
  const at = Math.floor(bytes.length / 2);
  bytes[at] = bytes[at]! ^ 0xff;
  await Deno.writeFile(path, bytes);
}
