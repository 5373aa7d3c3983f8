/**
 * The ingestor's input roots on a real stack of its own (postgres, redis,
 * opensearch, ingestor) with the default roots (the inbox alone): links out
 * of the roots, a link to the state folder's secret and a FIFO are refused
 * with exit 2 before anything is enqueued, and a job forged into the Redis
 * stream naming a file outside the roots is dead-lettered by the worker,
 * never read.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import type postgres from "postgres";
import { createClient } from "redis";
import {
  appSql,
  createTestEnvironment,
  ops,
  opsOk,
  type TestEnvironment,
} from "../helpers/test_stack.ts";

let env: TestEnvironment;
let sql: ReturnType<typeof postgres>;
let redis: ReturnType<typeof createClient>;
let inbox: string;
let outside: string;
/** A word only the file outside the roots holds: a row or a hit with it means a leak. */
const secretWord = "zorblaxianquill";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Rows whose path or body shows the outside file was read. */
async function leaked(): Promise<number> {
  const [row] = await sql<{ n: string }[]>`
    select count(*) as n from documents
    where body like ${"%" + secretWord + "%"} or source_path like ${outside + "/%"}
      or source_path like ${env.stateDir + "/secrets/%"}`;
  return Number(row!.n);
}

/** Jobs ever enqueued (the recent-jobs set gains one per job). */
async function jobs(): Promise<number> {
  return Number(await redis.sendCommand(["ZCARD", "ingest:recent"]));
}

/** Runs `ingestor:ingest` and expects a refusal: exit 2, no job, nothing stored. */
async function refused(args: string[]): Promise<string> {
  const before = await jobs();
  const run = await ops(env.file, ["ingestor:ingest", ...args]);
  expect(run.code, run.stderr).toBe(2);
  expect(run.stderr).toContain("nothing was enqueued");
  expect(run.stderr).toContain(`input roots (${inbox})`);
  expect(await jobs()).toBe(before);
  expect(await leaked()).toBe(0);
  return run.stderr;
}

beforeAll(async () => {
  env = await createTestEnvironment({
    name: "inputroots",
    services: ["postgres", "redis", "opensearch", "ingestor"],
  });
  await opsOk(env.file, ["up"]);
  inbox = join(env.stateDir, "ingestor", "inbox");
  outside = join(env.dir, "outside");
  await Deno.mkdir(join(outside, "folder"), { recursive: true });
  await Deno.writeTextFile(join(outside, "secret.md"), `# Outside\n\nthe ${secretWord} note\n`);
  await Deno.writeTextFile(join(outside, "folder", "inner.md"), `# Inner\n\n${secretWord}\n`);
  sql = await appSql(env);
  redis = createClient({
    socket: { host: "127.0.0.1", port: env.ports.redis! },
    password: (await Deno.readTextFile(join(env.stateDir, "secrets", "redis-password"))).trim(),
  });
  await redis.connect();
});

afterAll(async () => {
  await sql?.end({ timeout: 5 });
  await redis?.close();
  if (env) {
    await ops(env.file, ["down"]);
    await env.remove();
  }
});

describe("the inbox", () => {
  it("is created when the ingestor starts and ingests a file dropped in it", async () => {
    expect((await Deno.stat(inbox)).isDirectory).toBe(true);
    await Deno.writeTextFile(join(inbox, "welcome.md"), "# Welcome\n\nthe quintessarine note\n");
    const run = await ops(env.file, ["ingestor:ingest", join(inbox, "welcome.md"), "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ files: 1, documents: 1, failed: 0 });
    const rows = await sql<{ source_path: string }[]>`
      select source_path from documents where body like '%quintessarine%'`;
    expect(rows.map((r) => r.source_path)).toEqual([join(inbox, "welcome.md")]);
  });
});

describe("ingestor:ingest refuses links out of the roots and stores nothing", () => {
  it("a link to a file outside the roots, given directly", async () => {
    await Deno.symlink(join(outside, "secret.md"), join(inbox, "direct.md"));
    const stderr = await refused([join(inbox, "direct.md")]);
    expect(stderr).toContain(
      `${join(inbox, "direct.md")} (resolves to ${
        join(outside, "secret.md")
      }): outside the input roots`,
    );
    const single = await ops(env.file, ["ingestor:ingest-single", join(inbox, "direct.md")]);
    expect(single.code).toBe(2);
    expect(single.stderr).toContain("resolves to");
  });

  it("a link inside a folder: its good files are not enqueued either", async () => {
    const folder = join(inbox, "batch");
    await Deno.mkdir(folder);
    await Deno.writeTextFile(join(folder, "fine.md"), "# Fine\n\nthe plumbagoline note\n");
    await Deno.symlink(join(outside, "secret.md"), join(folder, "sneaky.md"));
    const stderr = await refused([folder]);
    expect(stderr).toContain(`${join(folder, "sneaky.md")} (resolves to`);
    const [row] = await sql<{ n: string }[]>`
      select count(*) as n from documents where body like '%plumbagoline%'`;
    expect(Number(row!.n)).toBe(0);
  });

  it("a link matched by a glob", async () => {
    const folder = join(inbox, "globbed");
    await Deno.mkdir(folder);
    await Deno.writeTextFile(join(folder, "fine.md"), "# Fine\n");
    await Deno.symlink(join(outside, "secret.md"), join(folder, "sneaky.md"));
    const stderr = await refused([join(folder, "*.md")]);
    expect(stderr).toContain(`${join(folder, "sneaky.md")} (resolves to`);
  });

  it("a link to a folder outside the roots", async () => {
    await Deno.symlink(join(outside, "folder"), join(inbox, "elsewhere"));
    const stderr = await refused([join(inbox, "elsewhere")]);
    expect(stderr).toContain(
      `${join(inbox, "elsewhere")} (resolves to ${join(outside, "folder")}): a folder outside`,
    );
  });

  it("a link to the state folder's generated Redis password, and the file itself", async () => {
    const secret = join(env.stateDir, "secrets", "redis-password");
    await Deno.symlink(secret, join(inbox, "password.md"));
    const stderr = await refused([join(inbox, "password.md")]);
    expect(stderr).toContain(`(resolves to ${secret}): inside the secrets folder`);
    expect(await refused([secret])).toContain(`${secret}: inside the secrets folder`);
  });

  it("a FIFO, refused without waiting for a writer", async () => {
    const fifo = join(inbox, "pipe.md");
    const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    expect(made.code).toBe(0);
    const stderr = await refused([fifo]);
    expect(stderr).toContain(`${fifo}: a FIFO, not a regular file`);
  });
});

describe("the worker", () => {
  it("dead-letters a forged job naming files outside the roots and never reads them", async () => {
    // what anyone with the Redis password can write: a job no ingest task checked
    const job = `forged-${crypto.randomUUID().slice(0, 6)}`;
    const forged = [join(outside, "secret.md"), join(inbox, "direct.md")];
    await redis.sendCommand([
      "HSET",
      `ingest:job:${job}`,
      "id",
      job,
      "label",
      "forged",
      "files_total",
      String(forged.length),
      "files_done",
      "0",
    ]);
    for (const [i, path] of forged.entries()) {
      await redis.sendCommand([
        "XADD",
        "ingest:jobs",
        "*",
        "job",
        job,
        "path",
        path,
        "token",
        `${job}:${i + 1}`,
        "attempt",
        "0",
        "enqueued",
        String(Date.now()),
      ]);
    }
    const deadline = Date.now() + 60_000;
    let dead: { path: string; reason: string }[] = [];
    while (Date.now() < deadline) {
      const status = JSON.parse(
        (await opsOk(env.file, ["ingestor:status", "--json"])).stdout,
      ) as { deadLetters: { job: string; path: string; reason: string }[] };
      dead = status.deadLetters.filter((d) => d.job === job);
      if (dead.length === forged.length) break;
      await sleep(500);
    }
    expect(dead.map((d) => d.path).sort()).toEqual([...forged].sort());
    const reasons = Object.fromEntries(dead.map((d) => [d.path, d.reason]));
    expect(reasons[join(outside, "secret.md")]).toMatch(/^refused: .*outside the input roots/);
    expect(reasons[join(inbox, "direct.md")]).toBe(
      `refused: ${join(inbox, "direct.md")} (resolves to ${
        join(outside, "secret.md")
      }): outside the input roots (${inbox})`,
    );
    expect(await leaked()).toBe(0);
    const [receipts] = await sql<{ n: string }[]>`
      select count(*) as n from ingest_receipts where job_id = ${job}`;
    expect(Number(receipts!.n)).toBe(0);
  });
});
