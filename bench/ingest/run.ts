// Benchmark: end-to-end ingest rate (`./ops ingestor:ingest DIR`: enqueue, worker, PostgreSQL
// upsert, OpenSearch _bulk, acknowledgement) against the raw limits of its two sinks, measured
// in the same run on the same documents:
//   - PostgreSQL: `COPY ... FROM STDIN` (psql) of the same rows into a table shaped like
//     `documents` (same columns and indexes), and
//   - OpenSearch: `_bulk` of the same documents in 5 MB requests into an index built from the
//     same definition, one request at a time and two at a time, then `_refresh` (done means
//     searchable, as at the end of an ingest job); the faster of the two is the sink's limit.
// The ratio printed is end-to-end / slower sink (target: at least 0.8). Rounds alternate the
// three measurements so load from elsewhere on the machine hits them alike; the median counts.
// One unmeasured pass of each comes first (cold JVM and caches would favour whoever runs later).
//
// Usage (from the project root):
//   deno run -A bench/ingest/run.ts [--documents 100000] [--per-file 1000] [--rounds 3] [--keep]
// It starts a private stack (postgres, redis, opensearch, ingestor) on free ports under
// $BENCH_DIR (default /tmp/hailmary-bench-ingest) and, without --keep, removes it at the end.
import { join } from "node:path";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { contentHash } from "../../lib/ingest/content_hash.ts";
import { parseDocumentFile } from "../../lib/ingest/parse_document_file.ts";
import { findPostgresBinDir } from "../../lib/service/binaries.ts";
import { random, sentence } from "../../tests/helpers/ingest_corpus.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    documents: { type: "string", default: "100000" },
    "per-file": { type: "string", default: "1000" },
    rounds: { type: "string", default: "3" },
    keep: { type: "boolean", default: false },
  },
});
const total = Number(values.documents);
const perFile = Number(values["per-file"]);
const rounds = Number(values.rounds);

const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const benchDir = Deno.env.get("BENCH_DIR") ?? "/tmp/hailmary-bench-ingest";
const envFile = join(benchDir, "bench.yaml");
const corpusDir = join(benchDir, "corpus");

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function run(
  program: string,
  args: string[],
  options: { env?: Record<string, string>; stdin?: Uint8Array; allowFail?: boolean } = {},
): Promise<{ code: number; stdout: string }> {
  const child = new Deno.Command(program, {
    args,
    env: options.env ?? {},
    stdin: options.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin) {
    const writer = child.stdin.getWriter();
    await writer.write(options.stdin);
    await writer.close();
  }
  const out = await child.output();
  if (!out.success && !options.allowFail) {
    throw new Error(
      `${program} ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
}

const ops = (args: string[], allowFail = false) =>
  run(Deno.execPath(), ["run", "-q", "-A", join(root, "mod.ts"), ...args, "--env", envFile], {
    allowFail,
  });

// a private stack on free ports (a kept one is replaced)
try {
  await Deno.stat(envFile);
  await ops(["down"], true);
  await Deno.remove(benchDir, { recursive: true });
} catch {
  // no earlier stack
}
await Deno.mkdir(corpusDir, { recursive: true, mode: 0o755 });
await Deno.chmod(benchDir, 0o755);
const ports = {
  postgres: freePort(),
  redis: freePort(),
  opensearch: freePort(),
  ingestor: freePort(),
};
await Deno.writeTextFile(
  envFile,
  stringify({
    name: "benchingest",
    runtime: "native",
    stateDir: join(benchDir, "state"),
    backupDir: join(benchDir, "backups"),
    services: {
      postgres: { port: ports.postgres, sharedBuffers: "256MB" },
      redis: { port: ports.redis },
      opensearch: { port: ports.opensearch, transportPort: freePort(), heap: "1g" },
      ingestor: { port: ports.ingestor, inputRoots: [corpusDir] },
    },
  }),
);
console.log(`starting a private stack in ${benchDir}...`);
await ops(["up"]);

// the corpus: NDJSON files of small records (title, body of ~30 words, two metadata fields)
const rand = random(2024);
const files: string[] = [];
for (let f = 0; f * perFile < total; f++) {
  const lines: string[] = [];
  for (let r = 0; r < perFile && f * perFile + r < total; r++) {
    lines.push(JSON.stringify({
      id: `${f}-${r}`,
      title: `Record ${f}-${r} ${sentence(rand, 3)}`,
      body: sentence(rand, 30),
      category: `cat-${r % 12}`,
      rank: r,
    }));
  }
  const file = join(corpusDir, `part-${String(f).padStart(4, "0")}.ndjson`);
  await Deno.writeTextFile(file, lines.join("\n") + "\n");
  files.push(file);
}

// the same documents as the pipeline stores them, for the raw sinks
interface Row {
  path: string;
  key: string;
  hash: string;
  title: string;
  body: string;
  metadata: Record<string, unknown>;
}
const rows: Row[] = [];
for (const file of files) {
  const parsed = await parseDocumentFile(file);
  for (const d of parsed.documents) {
    rows.push({
      path: file,
      key: d.recordKey,
      hash: contentHash(d),
      title: d.title,
      body: d.body,
      metadata: d.metadata,
    });
  }
}
const csvField = (v: string) => `"${v.replaceAll('"', '""')}"`;
const copyData = new TextEncoder().encode(
  rows.map((r) =>
    [r.path, r.key, "ndjson", r.hash, r.title, r.body, JSON.stringify(r.metadata)].map(csvField)
      .join(",")
  ).join("\n") + "\n",
);
const now = new Date().toISOString();
const bulkBodies: string[] = [];
{
  let body = "";
  rows.forEach((r, i) => {
    body += JSON.stringify({ index: { _index: "bench-bulk", _id: String(i + 1) } }) + "\n" +
      JSON.stringify({
        title: r.title,
        body: r.body,
        path: r.path,
        record_key: r.key,
        format: "ndjson",
        content_hash: r.hash,
        metadata: r.metadata,
        created_at: now,
        updated_at: now,
      }) + "\n";
    if (body.length >= 5 * 1024 * 1024) {
      bulkBodies.push(body);
      body = "";
    }
  });
  if (body) bulkBodies.push(body);
}
console.log(
  `${rows.length} documents in ${files.length} NDJSON files (${
    (copyData.length / 1e6).toFixed(1)
  } MB as CSV, ${bulkBodies.length} bulk requests)`,
);

const password =
  (await Deno.readTextFile(join(benchDir, "state", "secrets", "postgres-app-password"))).trim();
const psqlEnv = {
  PGHOST: "127.0.0.1",
  PGPORT: String(ports.postgres),
  PGUSER: "app",
  PGDATABASE: "app",
  PGPASSWORD: password,
};
const psql = (sql: string, stdin?: Uint8Array) =>
  run(join(findPostgresBinDir(), "psql"), ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-c", sql], {
    env: psqlEnv,
    ...(stdin ? { stdin } : {}),
  });
const os = `http://127.0.0.1:${ports.opensearch}`;
const definition = JSON.parse(
  await Deno.readTextFile(join(root, "services", "opensearch", "indices", "documents.json")),
);
async function http(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(os + path, {
    method,
    headers: {
      "content-type": typeof body === "string" ? "application/x-ndjson" : "application/json",
    },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok && response.status !== 404) {
    throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
  }
  return text ? JSON.parse(text) : null;
}

/**
 * CPU seconds used so far by each service: its process and all descendants
 * (PostgreSQL backends start their own sessions, so process groups do not
 * do), children that already ended included.
 */
async function cpu(): Promise<Record<"opensearch" | "postgres" | "ingestor", number>> {
  const procs = new Map<number, { ppid: number; seconds: number }>();
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = await Deno.readTextFile(`/proc/${entry.name}/stat`);
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
      procs.set(Number(entry.name), { ppid: Number(f[1]), seconds: ticks / 100 });
    } catch {
      // the process ended meanwhile
    }
  }
  const under = (root: number) => {
    let total = 0;
    for (const [pid, p] of procs) {
      for (let at = pid, hops = 0; at > 1 && hops < 20; at = procs.get(at)?.ppid ?? 0, hops++) {
        if (at === root) {
          total += p.seconds;
          break;
        }
      }
    }
    return total;
  };
  const root = async (name: string) =>
    Number((await Deno.readTextFile(join(benchDir, "state", name, "run", "service.pid"))).trim());
  return {
    opensearch: under(await root("opensearch")),
    postgres: under(await root("postgres")),
    ingestor: under(await root("ingestor")),
  };
}

/** A measurement: documents per second (wall clock) and the CPU seconds each server spent. */
interface Measure {
  rate: number;
  cpu: { opensearch: number; postgres: number; ingestor: number };
}

async function measure(work: () => Promise<void>): Promise<Measure> {
  const before = await cpu();
  const began = performance.now();
  await work();
  const seconds = (performance.now() - began) / 1000;
  const after = await cpu();
  return {
    rate: rows.length / seconds,
    cpu: {
      opensearch: after.opensearch - before.opensearch,
      postgres: after.postgres - before.postgres,
      ingestor: after.ingestor - before.ingestor,
    },
  };
}

async function pgCopy(): Promise<Measure> {
  await psql(
    "drop table if exists bench_copy; create table bench_copy (like documents including all)",
  );
  const m = await measure(async () => {
    await psql(
      "copy bench_copy (source_path, record_key, format, content_hash, title, body, metadata) from stdin with (format csv)",
      copyData,
    );
  });
  const count = Number((await psql("select count(*) from bench_copy")).stdout.trim());
  if (count !== rows.length) throw new Error(`COPY stored ${count} of ${rows.length} rows`);
  await psql("drop table bench_copy");
  return m;
}

async function osBulk(parallel: number): Promise<Measure> {
  await http("DELETE", "/bench-bulk");
  await http("PUT", "/bench-bulk", definition);
  const m = await measure(async () => {
    let next = 0;
    await Promise.all(Array.from({ length: parallel }, async () => {
      while (next < bulkBodies.length) {
        const body = bulkBodies[next++]!;
        const answer = await http("POST", "/_bulk", body) as { errors: boolean };
        if (answer.errors) throw new Error("a bulk request had item errors");
      }
    }));
    // done means searchable, as at the end of an ingest job
    await http("POST", "/bench-bulk/_refresh");
  });
  const count = (await http("GET", "/bench-bulk/_count") as { count: number }).count;
  if (count !== rows.length) throw new Error(`_bulk stored ${count} of ${rows.length} documents`);
  await http("DELETE", "/bench-bulk");
  return m;
}

async function endToEnd(): Promise<Measure> {
  // empty stores: no row, no receipt, a fresh documents index behind the alias
  await psql("truncate documents, ingest_receipts restart identity");
  const aliases = await http("GET", "/_alias/documents") as Record<string, unknown> | null;
  for (const index of Object.keys(aliases ?? {})) await http("DELETE", `/${index}`);
  await http("PUT", "/documents-v1", { ...definition, aliases: { documents: {} } });
  let stdout = "";
  const m = await measure(async () => {
    // what `./ops ingestor:ingest` runs (deno.json): the ops permission set, the CLI entry
    stdout = (await run(Deno.execPath(), [
      "run",
      "-q",
      "-P=ops",
      join(root, "tasks", "cli.ts"),
      "ingestor:ingest",
      corpusDir,
      "--json",
      "--env",
      envFile,
    ], {
      env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: Deno.env.get("HOME") ?? "/root" },
    })).stdout;
  });
  const summary = JSON.parse(stdout) as { documents: number; unindexed: number };
  if (summary.documents !== rows.length || summary.unindexed !== 0) {
    throw new Error(`ingest stored ${summary.documents} and left ${summary.unindexed} unindexed`);
  }
  const waiting = Number(
    (await psql("select count(*) from documents where indexed_hash is distinct from content_hash"))
      .stdout.trim(),
  );
  if (waiting !== 0) throw new Error(`${waiting} documents not indexed at the end`);
  return m;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US").padStart(8);
const sec = (n: number) => n.toFixed(1).padStart(5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results: { copy: Measure; bulk1: Measure; bulk2: Measure; e2e: Measure }[] = [];
try {
  // one unmeasured pass of each, so no measurement pays for cold caches and an unwarmed JIT
  console.log("warming up (not measured)...");
  await endToEnd();
  await pgCopy();
  await osBulk(2);
  console.log(
    "round  COPY docs/s  _bulk x1 docs/s  _bulk x2 docs/s  end-to-end docs/s  ratio   end-to-end CPU s: opensearch postgres worker",
  );
  for (let round = 1; round <= rounds; round++) {
    // alternate the order so a burst of load elsewhere does not always hit the same one
    let copy: Measure, bulk1: Measure, bulk2: Measure, e2e: Measure;
    if (round % 2 === 1) {
      e2e = await endToEnd();
      copy = await pgCopy();
      bulk1 = await osBulk(1);
      bulk2 = await osBulk(2);
    } else {
      bulk2 = await osBulk(2);
      bulk1 = await osBulk(1);
      copy = await pgCopy();
      e2e = await endToEnd();
    }
    results.push({ copy, bulk1, bulk2, e2e });
    const slower = Math.min(copy.rate, Math.max(bulk1.rate, bulk2.rate));
    console.log(
      `${String(round).padStart(5)}  ${fmt(copy.rate)}     ${fmt(bulk1.rate)}         ${
        fmt(bulk2.rate)
      }         ${fmt(e2e.rate)}           ${(e2e.rate / slower).toFixed(2)}                      ${
        sec(e2e.cpu.opensearch)
      }    ${sec(e2e.cpu.postgres)}  ${sec(e2e.cpu.ingestor)}`,
    );
  }
  const copy = median(results.map((r) => r.copy.rate));
  const bulk = median(results.map((r) => Math.max(r.bulk1.rate, r.bulk2.rate)));
  const e2e = median(results.map((r) => r.e2e.rate));
  const ratios = results.map((r) =>
    r.e2e.rate / Math.min(r.copy.rate, Math.max(r.bulk1.rate, r.bulk2.rate))
  );
  const sequential = results.map((r) => r.e2e.rate / Math.min(r.copy.rate, r.bulk1.rate));
  console.log(
    `median: COPY ${Math.round(copy)} docs/s, _bulk ${Math.round(bulk)} docs/s (x1 ${
      Math.round(median(results.map((r) => r.bulk1.rate)))
    }, x2 ${Math.round(median(results.map((r) => r.bulk2.rate)))}), end-to-end ${
      Math.round(e2e)
    } docs/s`,
  );
  console.log(
    `ratio to the slower sink (median of rounds): ${
      median(ratios).toFixed(2)
    } against the faster _bulk, ${
      median(sequential).toFixed(2)
    } against one _bulk client (target >= 0.8)`,
  );
  const m = (f: (r: (typeof results)[number]) => number) => median(results.map(f)).toFixed(1);
  console.log(
    `CPU seconds for ${rows.length} documents (median): raw _bulk x1 opensearch ${
      m((r) => r.bulk1.cpu.opensearch)
    }, x2 ${m((r) => r.bulk2.cpu.opensearch)}; raw COPY postgres ${
      m((r) => r.copy.cpu.postgres)
    }; end-to-end opensearch ${m((r) => r.e2e.cpu.opensearch)} + postgres ${
      m((r) => r.e2e.cpu.postgres)
    } + worker ${m((r) => r.e2e.cpu.ingestor)} on ${navigator.hardwareConcurrency} cores`,
  );
} finally {
  if (!values.keep) {
    await ops(["down"], true);
    await Deno.remove(benchDir, { recursive: true }).catch(() => {});
  }
}
