/**
 * The ingestor tasks' input handling, without servers: validate parses and
 * reports, ingest refuses bad paths, paths outside the input roots, a `/`
 * root and a stopped worker before touching any store.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { stringify } from "yaml";
import { createTestEnvironment, ops, type TestEnvironment } from "../helpers/test_stack.ts";

let env: TestEnvironment;
let dir: string;
let inbox: string;

beforeAll(async () => {
  env = await createTestEnvironment({
    name: "ingesttasks",
    services: ["postgres", "redis", "opensearch", "ingestor"],
    settings: { ingestor: { inputRoots: ["/srv/allowed"] } },
  });
  // the inbox is an input root of every environment (the worker creates it when it starts)
  inbox = join(env.stateDir, "ingestor", "inbox");
  dir = join(inbox, "docs");
  await Deno.mkdir(join(dir, "sub"), { recursive: true });
  await Deno.writeTextFile(join(dir, "good.md"), "# Good\n\nfine\n");
  await Deno.writeTextFile(join(dir, "sub", "rows.csv"), 'id,title\n1,one\n2,"two\n');
  await Deno.writeTextFile(join(dir, "sub", "lines.ndjson"), '{"id":1}\n{"id":2,\n{"id":3}\n');
  await Deno.writeTextFile(join(dir, "notes.pdf"), "%PDF");
});

afterAll(async () => {
  await env.remove();
});

describe("ingestor:validate", () => {
  it("lists every malformed record with file:line and exits 1", async () => {
    const run = await ops(env.file, ["ingestor:validate", dir]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${join(dir, "sub", "lines.ndjson")}:2: invalid JSON`);
    expect(run.stdout).toContain(
      `${join(dir, "sub", "rows.csv")}:3: a quoted field is never closed`,
    );
    expect(run.stdout).toContain("3 file(s), 4 document(s), 2 problem(s) in 2 file(s)");
  });

  it("answers one JSON document with --json and exits 0 for clean files", async () => {
    const run = await ops(env.file, ["ingestor:validate", join(dir, "*.md"), "--json"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ files: 1, documents: 1, badFiles: 0, problems: [] });
  });

  it("exits 2 when nothing matches or only unreadable types match", async () => {
    const none = await ops(env.file, ["ingestor:validate", join(dir, "*.json")]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no file matches/);
    const pdf = await ops(env.file, ["ingestor:validate", join(dir, "notes.pdf")]);
    expect(pdf.code).toBe(2);
    expect(pdf.stderr).toMatch(/no readable file/);
  });
});

describe("ingestor:ingest", () => {
  it("refuses files outside the ingestor's input roots with exit 2, naming path and roots", async () => {
    const outside = join(env.dir, "outside");
    await Deno.mkdir(outside, { recursive: true });
    await Deno.writeTextFile(join(outside, "a.md"), "# A\n");
    const run = await ops(env.file, ["ingestor:ingest", outside]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `refused 1 path(s): the ingestor reads only regular files inside its input roots (${inbox}, /srv/allowed)`,
    );
    expect(run.stderr).toContain(`${outside}: a folder outside the input roots`);
    expect(run.stderr).toContain(`copy the files into the inbox ${inbox}`);
    const validate = await ops(env.file, ["ingestor:validate", join(outside, "a.md")]);
    expect(validate.code).toBe(2);
    expect(validate.stderr).toContain(`${join(outside, "a.md")}: outside the input roots`);
  });

  it("refuses '/' as an input root in the environment file, naming the field and the fix", async () => {
    const open = await createTestEnvironment({
      name: "ingestslash",
      services: ["postgres", "redis", "opensearch", "ingestor"],
      settings: { ingestor: { inputRoots: ["/srv/docs", "/"] } },
    });
    try {
      const run = await ops(open.file, ["ingestor:validate", dir]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(
        /services\.ingestor\.inputRoots\.1: '\/' would let the ingestor read, store and serve every file of this machine: name the folders that hold documents/,
      );
    } finally {
      await open.remove();
    }
  });

  it("refuses inputRoots outside the native runtime, where the container reads only its inbox", async () => {
    const folder = await Deno.makeTempDir({ prefix: "ops-roots-" });
    const file = join(folder, "roots.yaml");
    const write = (ingestor: Record<string, unknown>) =>
      Deno.writeTextFile(
        file,
        stringify({
          name: "roots",
          runtime: "compose",
          stateDir: join(folder, "state"),
          backupDir: join(folder, "backups"),
          services: { postgres: {}, redis: {}, opensearch: {}, ingestor },
        }),
      );
    const validate = () => ops(file, ["config:validate", file, "--renderer", "builtin"]);
    try {
      await write({ inputRoots: ["/srv/docs"] });
      const refused = await validate();
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(
        `${file}:10: services.ingestor.inputRoots: applies to the native runtime only: under compose ` +
          "the ingestor's container reads only its inbox; remove inputRoots and set " +
          "services.ingestor.inbox to the folder the files are in",
      );
      // what the message says to do instead is valid
      await write({ inbox: "/srv/docs" });
      const fixed = await validate();
      expect(fixed.stderr).toBe("");
      expect(fixed.code).toBe(0);
    } finally {
      await Deno.remove(folder, { recursive: true });
    }
  });

  it("refuses to wait for a job no worker would process", async () => {
    const open = await createTestEnvironment({
      name: "ingestopen",
      services: ["postgres", "redis", "opensearch", "ingestor"],
    });
    try {
      const file = join(open.stateDir, "ingestor", "inbox", "good.md");
      await Deno.mkdir(join(file, ".."), { recursive: true });
      await Deno.writeTextFile(file, "# Good\n");
      const run = await ops(open.file, ["ingestor:ingest-single", file]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/the ingestor is stopped: nothing would process the job/);
      expect(run.stderr).toMatch(/--no-wait/);
    } finally {
      await open.remove();
    }
  });
});
