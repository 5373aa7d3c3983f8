/**
 * The whole ingestion pipeline on a real five-service stack (postgres,
 * redis, opensearch, web, ingestor) of its own: a generated corpus in every
 * format with malformed records, counts in both stores, search through the
 * web API and in a real browser, idempotent re-ingest, a worker killed with
 * SIGKILL mid-job, OpenSearch and PostgreSQL going away during ingest,
 * dead letters and reconcile.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import type postgres from "postgres";
import { contentHash } from "../../lib/ingest/content_hash.ts";
import { storeFiles } from "../../lib/ingest/document_store.ts";
import { parseDocumentFile } from "../../lib/ingest/parse_document_file.ts";
import { type Corpus, writeCorpus } from "../helpers/ingest_corpus.ts";
import {
  appSql,
  createTestEnvironment,
  ops,
  opsOk,
  type TestEnvironment,
} from "../helpers/test_stack.ts";

let env: TestEnvironment;
/** The ingestor's inbox, its one input root here: every corpus is written into it. */
let inbox: string;
let corpus: Corpus;
let sql: ReturnType<typeof postgres>;
let web: string;
let search: string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function json<T>(args: string[], expected?: number): Promise<T> {
  const run = await ops(env.file, [...args, "--json"]);
  if (expected !== undefined && run.code !== expected) {
    throw new Error(
      `ops ${
        args.join(" ")
      } exited ${run.code}, expected ${expected}:\n${run.stderr}\n${run.stdout}`,
    );
  }
  return JSON.parse(run.stdout) as T;
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 90_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

/** Rows, distinct (path, record) keys and rows waiting for the index under a folder. */
async function stored(prefix: string): Promise<{ rows: number; keys: number; waiting: number }> {
  const [row] = await sql<{ rows: string; keys: string; waiting: string }[]>`
    select count(*) as rows, count(distinct (source_path, record_key)) as keys,
      count(*) filter (where indexed_hash is distinct from content_hash) as waiting
    from documents where source_path like ${prefix + "/%"}`;
  return { rows: Number(row!.rows), keys: Number(row!.keys), waiting: Number(row!.waiting) };
}

/** Documents in the index under a folder (after a refresh). */
async function indexed(prefix: string): Promise<number> {
  await fetch(`${search}/documents/_refresh`, { method: "POST" }).then((r) => r.body?.cancel());
  const response = await fetch(`${search}/documents/_count`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: { prefix: { path: prefix + "/" } } }),
  });
  return ((await response.json()) as { count: number }).count;
}

interface Summary {
  job: string;
  files: number;
  documents: number;
  skipped: number;
  failed: number;
  filesFailed: number;
  unindexed: number;
  waitingForIndex: number | null;
  failures: { file: string; line?: number; reason: string }[];
}

interface JobState {
  id: string;
  filesTotal: number;
  filesDone: number;
  documents: number;
  skipped: number;
  failed: number;
  done: boolean;
}

interface StatusJson {
  queue: { depth: number; inFlight: number; retrying: number; dead: number; lagSeconds: number };
  deadLetters: { path: string; reason: string }[];
  jobs: JobState[];
}

async function job(id: string): Promise<JobState | undefined> {
  return (await json<StatusJson>(["ingestor:status"], 0)).jobs.find((j) => j.id === id);
}

beforeAll(async () => {
  env = await createTestEnvironment({
    name: "pipeline",
    services: ["postgres", "redis", "opensearch", "web", "ingestor"],
    settings: {
      // small reads so a job spans many batches; quick take-over and retries for the fault tests
      ingestor: {
        readBatch: 8,
        batchDocuments: 2000,
        claimIdleSeconds: 3,
        retryBaseMs: 500,
        maxAttempts: 8,
      },
      web: { cacheTtlSeconds: 60 },
    },
  });
  await opsOk(env.file, ["up"]);
  web = `http://127.0.0.1:${env.ports.web}`;
  search = `http://127.0.0.1:${env.ports.opensearch}`;
  sql = await appSql(env);
  inbox = join(env.stateDir, "ingestor", "inbox");
  corpus = await writeCorpus(join(inbox, "corpus"));
});

afterAll(async () => {
  await sql?.end({ timeout: 5 });
  if (env) {
    await ops(env.file, ["down"]);
    await env.remove();
  }
});

describe("the five-service stack", () => {
  it("comes up in dependency order with all five healthy", async () => {
    const status = await json<{ services: { name: string; healthy: boolean }[] }>(["status"], 0);
    expect(status.services.map((s) => [s.name, s.healthy]).sort()).toEqual([
      ["ingestor", true],
      ["opensearch", true],
      ["postgres", true],
      ["redis", true],
      ["web", true],
    ]);
  });
});

describe("ingesting a mixed corpus", () => {
  let first: Summary;

  it(
    "stores every good document once in both stores and reports each malformed record with file:line",
    async () => {
      expect(corpus.documents).toBeGreaterThan(4000);
      first = await json<Summary>(["ingestor:ingest", corpus.dir], 1);
      expect(first.files).toBe(corpus.files);
      expect(first.documents).toBe(corpus.documents);
      expect(first.skipped).toBe(0);
      expect(first.failed).toBe(corpus.failed);
      expect(first.filesFailed).toBe(corpus.failedFiles);
      expect(first.unindexed).toBe(0);
      const reported = first.failures.map((f) => `${f.file}:${f.line ?? 0}`).sort();
      expect(reported).toEqual(corpus.failures.map((f) => `${f.file}:${f.line}`).sort());
      expect(await stored(corpus.dir)).toEqual({
        rows: corpus.documents,
        keys: corpus.documents,
        waiting: 0,
      });
      expect(await indexed(corpus.dir)).toBe(corpus.documents);
    },
    300_000,
  );

  it("finds the known document through the web API, with escaped highlights and a cache", async () => {
    const q = encodeURIComponent(corpus.known.query);
    const response = await fetch(`${web}/api/search?q=${q}&size=5`);
    expect(response.status).toBe(200);
    const answer = await response.json() as {
      total: number;
      hits: { id: string; title: string; snippet: string; score: number }[];
    };
    expect(answer.total).toBeGreaterThanOrEqual(1);
    const hit = answer.hits[0]!;
    expect(hit.title).toBe(corpus.known.title);
    expect(hit.score).toBeGreaterThan(0);
    expect(hit.snippet).toContain("<mark>xylophonic</mark>");
    expect(hit.snippet).toContain("&lt;b&gt;softly&lt;");
    expect(hit.snippet).not.toContain("<b>");
    const again = await fetch(`${web}/api/search?q=${q}&size=5`);
    expect(again.headers.get("x-cache")).toBe("hit");
    expect(await again.json()).toEqual(answer);

    const doc = await (await fetch(`${web}/api/documents/${hit.id}`)).json() as Record<
      string,
      unknown
    >;
    expect(doc).toMatchObject({
      id: hit.id,
      title: corpus.known.title,
      path: corpus.known.file,
      indexed: true,
    });
    expect(doc.metadata).toEqual({ tags: ["known"] });
    expect((await fetch(`${web}/api/documents/999999999`)).status).toBe(404);
    expect((await fetch(`${web}/api/documents/x1`)).status).toBe(400);
    expect((await fetch(`${web}/api/search?size=5`)).status).toBe(400);
  });

  it("re-ingests the same files without a duplicate: everything is skipped", async () => {
    const again = await json<Summary>(["ingestor:ingest", corpus.dir], 1);
    expect(again.documents).toBe(0);
    expect(again.skipped).toBe(corpus.documents);
    expect(again.failed).toBe(corpus.failed);
    expect(await stored(corpus.dir)).toEqual({
      rows: corpus.documents,
      keys: corpus.documents,
      waiting: 0,
    });
    expect(await indexed(corpus.dir)).toBe(corpus.documents);
  }, 300_000);

  it("updates a changed file in place in both stores, under the same id", async () => {
    const file = join(corpus.dir, "txt", "page-5.txt");
    const [before] = await sql<
      { id: string }[]
    >`select id from documents where source_path = ${file}`;
    await Deno.writeTextFile(file, "Page five rewritten\nnow mentions the word zanzibarite\n");
    const run = await json<Summary>(["ingestor:ingest-single", file], 0);
    expect([run.documents, run.skipped, run.failed]).toEqual([1, 0, 0]);
    const [after] = await sql<
      { id: string; body: string }[]
    >`select id, body from documents where source_path = ${file}`;
    expect(after!.id).toBe(before!.id);
    expect(after!.body).toContain("zanzibarite");
    const answer = await (await fetch(`${web}/api/search?q=zanzibarite`)).json() as {
      hits: { id: string }[];
    };
    expect(answer.hits.map((h) => h.id)).toEqual([String(before!.id)]);
    expect((await stored(corpus.dir)).rows).toBe(corpus.documents);
  });

  it("validates without writing: every bad record with file:line, exit 1", async () => {
    const before = await stored(corpus.dir);
    const run = await ops(env.file, ["ingestor:validate", corpus.dir]);
    expect(run.code).toBe(1);
    for (const f of corpus.failures) expect(run.stdout).toContain(`${f.file}:${f.line}: `);
    expect(run.stdout).toContain(
      `${corpus.files} file(s), ${corpus.documents} document(s), ${corpus.failed} problem(s)`,
    );
    expect(await stored(corpus.dir)).toEqual(before);
    const clean = await ops(env.file, ["ingestor:validate", join(corpus.dir, "txt")]);
    expect(clean.code).toBe(0);
  });

  it("refuses bad input with exit 2 and a reason", async () => {
    const missing = await ops(env.file, ["ingestor:ingest", join(env.dir, "nowhere")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/does not exist/);
    const folder = await ops(env.file, ["ingestor:ingest-single", corpus.dir]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toMatch(/is not a file/);
  });
});

describe("faults", () => {
  it(
    "loses nothing and duplicates nothing when the worker is killed with SIGKILL mid-job",
    async () => {
      const dir = join(inbox, "kill");
      const big = await writeCorpus(dir, {
        perKind: 60,
        recordFiles: 12,
        recordsPerFile: 1500,
        seed: 5,
        known: false,
      });
      const enqueued = await json<Summary>(["ingestor:ingest", dir, "--no-wait"], 0);
      await until("the job to start", async () => {
        const j = await job(enqueued.job);
        return j && j.filesDone > 0 ? j : undefined;
      });
      const pidFile = join(env.stateDir, "ingestor", "run", "service.pid");
      const pid = Number((await Deno.readTextFile(pidFile)).trim());
      Deno.kill(-pid, "SIGKILL");
      const killed = await job(enqueued.job);
      expect(killed!.done).toBe(false);
      const state = await json<{ services: { name: string; state: string }[] }>(["status"]);
      expect(state.services.find((s) => s.name === "ingestor")!.state).toBe("crashed");

      await opsOk(env.file, ["ingestor:start"]);
      const done = await until("the job to finish", async () => {
        const j = await job(enqueued.job);
        return j?.done ? j : undefined;
      }, 240_000);
      expect(done.documents).toBe(big.documents);
      expect(done.failed).toBe(big.failed);
      await until(
        "the index to catch up",
        async () => ((await stored(dir)).waiting === 0 ? true : undefined),
      );
      expect(await stored(dir)).toEqual({ rows: big.documents, keys: big.documents, waiting: 0 });
      expect(await indexed(dir)).toBe(big.documents);
    },
    400_000,
  );

  it(
    "finishes files committed before the worker died, indexing and counting them once",
    async () => {
      // the state a worker leaves when it dies right after its commit: messages pending for its
      // consumer, rows and receipts committed (rows marked indexed), nothing in the index yet
      const dir = join(inbox, "committed");
      const small = await writeCorpus(dir, {
        perKind: 3,
        recordFiles: 1,
        recordsPerFile: 30,
        seed: 12,
        known: false,
      });
      await opsOk(env.file, ["ingestor:stop"]);
      const enqueued = await json<Summary>(["ingestor:ingest", dir, "--no-wait"], 0);
      const { createClient } = await import("redis");
      const redis = createClient({
        socket: { host: "127.0.0.1", port: env.ports.redis! },
        password: (await Deno.readTextFile(join(env.stateDir, "secrets", "redis-password"))).trim(),
      });
      await redis.connect();
      try {
        const reply = await redis.sendCommand([
          "XREADGROUP",
          "GROUP",
          "ingest-workers",
          "worker-1",
          "COUNT",
          "100",
          "STREAMS",
          "ingest:jobs",
          ">",
        ]) as Record<string, [string, string[]][]>;
        const entries = Object.values(reply)[0]!;
        expect(entries).toHaveLength(small.files);
        for (const [, flat] of entries) {
          const f = Object.fromEntries(flat.flatMap((v, i) => (i % 2 ? [] : [[v, flat[i + 1]!]])));
          try {
            const parsed = await parseDocumentFile(f.path!);
            await storeFiles(sql, [{
              token: f.token!,
              jobId: f.job!,
              path: f.path!,
              format: parsed.format,
              documents: parsed.documents,
              hashes: parsed.documents.map(contentHash),
              problems: parsed.problems,
            }]);
          } catch {
            // a broken file: the worker dead-letters it when it reads it again
          }
        }
      } finally {
        await redis.close();
      }
      expect((await stored(dir)).rows).toBe(small.documents);
      expect(await indexed(dir)).toBe(0);

      await opsOk(env.file, ["ingestor:start"]);
      const done = await until("the job to finish", async () => {
        const j = await job(enqueued.job);
        return j?.done ? j : undefined;
      });
      expect(done.documents).toBe(small.documents);
      expect(done.failed).toBe(small.failed);
      expect(await stored(dir)).toEqual({
        rows: small.documents,
        keys: small.documents,
        waiting: 0,
      });
      expect(await indexed(dir)).toBe(small.documents);
    },
    300_000,
  );

  it(
    "keeps documents in PostgreSQL while OpenSearch is down, says so, and indexes them when it returns",
    async () => {
      const dir = join(inbox, "os-down");
      const small = await writeCorpus(dir, {
        perKind: 20,
        recordFiles: 2,
        recordsPerFile: 50,
        seed: 6,
        known: false,
      });
      await opsOk(env.file, ["opensearch:stop"]);
      try {
        const run = await ops(env.file, ["ingestor:ingest", dir]);
        expect(run.code).toBe(1); // the corpus holds malformed records
        expect(run.stderr).toMatch(/stored but not yet searchable: OpenSearch was unavailable/);
        const summary = await json<Summary>(["ingestor:ingest", dir]);
        expect(summary.documents + summary.skipped).toBe(small.documents);
        const now = await stored(dir);
        expect(now.rows).toBe(small.documents);
        expect(now.waiting).toBe(small.documents);
        const reconcile = await ops(env.file, ["ingestor:reconcile"]);
        expect(reconcile.code).toBe(1);
        expect(reconcile.stderr).toMatch(/cannot reach OpenSearch/);
      } finally {
        await opsOk(env.file, ["opensearch:start"]);
      }
      await until(
        "the waiting documents to be indexed",
        async () => ((await stored(dir)).waiting === 0 ? true : undefined),
        120_000,
      );
      expect(await indexed(dir)).toBe(small.documents);
      const report = await json<
        { consistent: boolean; after: { postgres: number; index: number } }
      >(["ingestor:reconcile"], 0);
      expect(report.consistent).toBe(true);
      expect(report.after.index).toBe(report.after.postgres);
    },
    400_000,
  );

  it(
    "retries with backoff while PostgreSQL is away and stores the files when it is back",
    async () => {
      const dir = join(inbox, "pg-down");
      const small = await writeCorpus(dir, {
        perKind: 10,
        recordFiles: 1,
        recordsPerFile: 40,
        seed: 8,
        known: false,
      });
      await opsOk(env.file, ["postgres:stop"]);
      let enqueued: Summary;
      try {
        enqueued = await json<Summary>(["ingestor:ingest", dir, "--no-wait"], 0);
        const retrying = await until("a retry to be scheduled", async () => {
          const s = await json<StatusJson>(["ingestor:status"], 0);
          return s.queue.retrying > 0 ? s : undefined;
        }, 60_000);
        expect(retrying.queue.retrying).toBeGreaterThan(0);
      } finally {
        await opsOk(env.file, ["postgres:start"]);
      }
      const done = await until("the job to finish", async () => {
        const j = await job(enqueued!.job);
        return j?.done ? j : undefined;
      }, 180_000);
      expect(done.documents).toBe(small.documents);
      expect((await stored(dir)).rows).toBe(small.documents);
    },
    400_000,
  );

  it("reconcile repairs a missing document and removes an orphan from the index", async () => {
    const [row] = await sql<{ id: string }[]>`select id from documents order by id limit 1`;
    await fetch(`${search}/documents/_doc/${row!.id}?refresh=true`, { method: "DELETE" }).then((
      r,
    ) => r.body?.cancel());
    await fetch(`${search}/documents/_doc/999999999?refresh=true`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ title: "orphan", body: "no row", path: "/nowhere" }),
    }).then((r) => r.body?.cancel());
    const report = await json<{ repaired: number; removed: number; consistent: boolean }>([
      "ingestor:reconcile",
    ], 0);
    expect(report).toMatchObject({ repaired: 1, removed: 1, consistent: true });
  }, 300_000);

  it(
    "dead-letters files that cannot be read and ingests them with retry-dead once fixed",
    async () => {
      const before = await json<StatusJson>(["ingestor:status"], 0);
      const brokenJson = corpus.failures.map((f) => f.file).filter((f) => /\.json$/.test(f));
      expect(brokenJson).toHaveLength(2);
      expect(before.queue.dead).toBeGreaterThanOrEqual(corpus.failedFiles);
      expect(before.deadLetters.map((d) => d.path)).toEqual(expect.arrayContaining(brokenJson));
      for (const file of brokenJson) {
        await Deno.writeTextFile(
          file,
          JSON.stringify({ title: `fixed ${file}`, body: "repaired" }),
        );
      }
      // every dead path is queued once; the fixed JSON files are stored, the others fail again
      const run = await json<Summary>(["ingestor:retry-dead"], 1);
      expect(run.documents).toBe(brokenJson.length);
      expect(run.filesFailed).toBe(run.files - brokenJson.length);
      const after = await json<StatusJson>(["ingestor:status"], 0);
      expect(after.queue.dead).toBe(run.filesFailed);
      const dead = after.deadLetters.map((d) => d.path);
      for (const file of brokenJson) expect(dead).not.toContain(file);
      expect(dead).toContain(join(corpus.dir, "md", "note-7.md"));
      expect((await stored(corpus.dir)).rows).toBe(corpus.documents + brokenJson.length);
    },
    300_000,
  );
});

describe("web", () => {
  it("passes its smoke test and its build check", async () => {
    const smoke = await json<{ ok: boolean; checks: { name: string; ok: boolean }[] }>([
      "web:smoke",
    ], 0);
    expect(smoke.checks.map((c) => c.name)).toEqual(
      ["health", "search page", "bad request refused", "a known document", "search", "document"],
    );
    expect(smoke.ok).toBe(true);
    const known = await json<{ ok: boolean }>(["web:smoke", "--query", corpus.known.query], 0);
    expect(known.ok).toBe(true);
    const build = await json<{ ok: boolean }>(["web:build"], 0);
    expect(build.ok).toBe(true);
  }, 300_000);

  it("lets a person search in a real browser and open the document", async () => {
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    try {
      const page = await browser.newPage();
      await page.goto(web + "/");
      await page.fill("#q", corpus.known.query);
      await page.press("#q", "Enter");
      await page.waitForSelector("li.hit");
      expect(await page.textContent("li.hit >> nth=0 >> a.title")).toBe(corpus.known.title);
      // the matches are <mark> elements; the <b> of the text is shown as text, not markup
      expect(await page.locator("li.hit >> nth=0 >> p.snippet mark").first().textContent()).toMatch(
        /xylophonic/i,
      );
      expect(await page.locator("li.hit >> nth=0 >> p.snippet b").count()).toBe(0);
      expect(await page.textContent("li.hit >> nth=0 >> p.snippet")).toContain("<b>softly</b>");
      expect(await page.textContent("#status")).toMatch(/documents? found/);
      await page.click("li.hit >> nth=0 >> a.title");
      await page.waitForSelector("#document:not([hidden])");
      expect(await page.textContent("#document-path")).toBe(corpus.known.file);
      expect(await page.textContent("#document-body")).toContain(
        "The xylophonic quasar hums <b>softly</b>",
      );
      expect(page.url()).toContain("?q=xylophonic");
    } finally {
      await browser.close();
    }
  }, 120_000);
});
