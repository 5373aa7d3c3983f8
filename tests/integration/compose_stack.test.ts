/**
 * The compose runtime on a real Docker Engine: the staging compose files
 * (compose.yaml + environments/compose.staging.yaml) on free ports, all five
 * services brought up healthy in containers, observed, backed up and restored
 * through exec and the state folder, fed through the ingestor's inbox, searched
 * through the web container, and taken down again. `./ops setup` for the test
 * environment installs what is missing (docker.io, Compose v2 with go install,
 * a debootstrap base image, the service images) and starts dockerd when none
 * runs; a daemon started that way is stopped again at the end.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { stringify } from "yaml";
import { freePort, ops, root } from "../helpers/test_stack.ts";
import { loadEnvironment } from "../../lib/config/mod.ts";
import { connectRedis } from "../../lib/redis/mod.ts";

function succeeds(program: string, args: string[]): boolean {
  try {
    return new Deno.Command(program, { args, stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

const daemonWasRunning = succeeds("docker", ["info"]);

let dir = "";
let inbox = "";
const webPort = freePort();
let file = "";
const project = `hailmary-it-${Date.now().toString(36)}`;
const secrets = {
  HAILMARY_IT_POSTGRES_PASSWORD: "it-pg-Secret-1",
  HAILMARY_IT_REDIS_PASSWORD: "it-redis-Secret-1",
};

/** Takes a test stack down and removes its volumes and folder. */
async function removeStack(
  envFile: string,
  projectName: string,
  folder: string,
  env: Record<string, string>,
): Promise<void> {
  await ops(envFile, ["down"], { env }).catch(() => {});
  for (const volume of ["postgres_data", "redis_data", "opensearch_data"]) {
    await new Deno.Command("docker", {
      args: ["volume", "rm", "-f", `${projectName}_${volume}`],
      stdout: "null",
      stderr: "null",
    }).output();
  }
  await Deno.remove(folder, { recursive: true }).catch(() => {});
}

/** Stops a daemon that setup started for this test (its pid file), so the test leaves no process. */
async function stopDaemonStartedHere(): Promise<void> {
  if (daemonWasRunning) return;
  let pid: number;
  try {
    pid = Number((await Deno.readTextFile("/var/run/docker.pid")).trim());
  } catch {
    return;
  }
  try {
    Deno.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && succeeds("kill", ["-0", String(pid)])) {
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function run(env: string, args: string[], expected = 0) {
  const result = await ops(env, args, { env: secrets, timeoutMs: 900_000 });
  if (result.code !== expected) {
    throw new Error(
      `ops ${args.join(" ")} exited ${result.code}:\n${result.stderr}\n${result.stdout}`,
    );
  }
  return result;
}

async function containers(): Promise<string[]> {
  const { stdout } = await new Deno.Command("docker", {
    args: [
      "ps",
      "-a",
      "--filter",
      `label=com.docker.compose.project=${project}`,
      "--format",
      "{{.Names}}",
    ],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(stdout).split("\n").filter((l) => l.trim()).sort();
}

describe("compose runtime on Docker Engine", () => {
  beforeAll(async () => {
    dir = await Deno.makeTempDir({ prefix: "hailmary-compose-it-" });
    await Deno.chmod(dir, 0o755);
    inbox = join(dir, "inbox");
    file = join(dir, "staging-it.yaml");
    await Deno.writeTextFile(
      file,
      stringify({
        name: "staging-it",
        runtime: "compose",
        stateDir: join(dir, "state"),
        backupDir: join(dir, "backups"),
        compose: {
          project,
          files: ["compose.yaml", "environments/compose.staging.yaml"],
        },
        services: {
          postgres: { port: freePort(), password: "env:HAILMARY_IT_POSTGRES_PASSWORD" },
          redis: { port: freePort(), password: "env:HAILMARY_IT_REDIS_PASSWORD" },
          opensearch: { port: freePort(), transportPort: freePort(), heap: "512m" },
          web: { port: webPort },
          ingestor: { port: freePort(), inbox },
        },
      }),
    );
    // --rebuild: the web and ingestor images hold this checkout's code
    const setup = await ops(file, ["setup", "--rebuild"], { env: secrets, timeoutMs: 3_000_000 });
    if (setup.code !== 0) throw new Error(`setup failed:\n${setup.stderr}\n${setup.stdout}`);
  }, 3_600_000);

  afterAll(async () => {
    if (file) await removeStack(file, project, dir, secrets);
  }, 300_000);

  it("setup again finds every image built from the files it has (their fingerprint label)", async () => {
    const again = await ops(file, ["setup", "--json"], { env: secrets });
    expect(again.code).toBe(0);
    const images =
      (JSON.parse(again.stdout) as { requirements: { name: string; action: string }[] })
        .requirements.filter((r) => r.name.startsWith("image "));
    expect(images.map((r) => r.action)).toEqual([
      "present",
      "present",
      "present",
      "present",
      "present",
    ]);
  });

  it("brings the staging stack up healthy in containers", async () => {
    await run(file, ["up"]);
    expect(await containers()).toEqual([
      `${project}-ingestor-1`,
      `${project}-opensearch-1`,
      `${project}-postgres-1`,
      `${project}-redis-1`,
      `${project}-web-1`,
    ]);
    const status = JSON.parse((await run(file, ["status", "--json"])).stdout) as {
      services: { name: string; state: string; healthy: boolean; pid: number | null }[];
    };
    expect(status.services.map((s) => [s.name, s.state, s.healthy])).toEqual([
      ["ingestor", "running", true],
      ["opensearch", "running", true],
      ["postgres", "running", true],
      ["redis", "running", true],
      ["web", "running", true],
    ]);
    // the pid is the container's main process, as this host sees it
    for (const s of status.services) expect(s.pid).toBeGreaterThan(1);
  }, 900_000);

  it("answers status and health under the observe permissions of deno.json", async () => {
    const child = await new Deno.Command(join(root, "ops"), {
      args: ["health", "--env", file],
      cwd: root,
      env: { ...secrets, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(child.stdout) + new TextDecoder().decode(child.stderr);
    expect(out).toContain("healthy postgres");
    expect(child.code).toBe(0);
  }, 120_000);

  it("backs up and restores postgres through exec in the container", async () => {
    await run(file, [
      "postgres:psql",
      "-c",
      "create table compose_it(id int primary key, note text); insert into compose_it select g, 'n' || g from generate_series(1, 300) g",
    ]);
    const backup = JSON.parse((await run(file, ["postgres:backup", "--json"])).stdout) as {
      id: string;
      path: string;
    };
    // the row counts the dump's own snapshot saw (the ingestor's tables are in the database too)
    const manifest = JSON.parse(await Deno.readTextFile(join(backup.path, "manifest.json"))) as {
      details: { tables: Record<string, number> };
    };
    expect(manifest.details.tables["public.compose_it"]).toBe(300);
    await run(file, ["postgres:psql", "-c", "delete from compose_it where id > 10"]);
    await run(file, ["postgres:restore", backup.id, "--yes"]);
    const count = await run(file, [
      "postgres:psql",
      "-At",
      "-c",
      "select count(*) from compose_it",
    ]);
    expect(count.stdout.trim()).toBe("300");
  }, 300_000);

  it(
    "backs up and restores redis: BGSAVE in the container, the RDB through the state folder",
    async () => {
      for (const [name, value] of Object.entries(secrets)) Deno.env.set(name, value);
      const environment = await loadEnvironment(file);
      const redis = () =>
        connectRedis(environment.services.find((s) => s.definition.name === "redis")!);
      let client = await redis();
      try {
        for (let i = 0; i < 50; i++) await client.set(`compose:it:${i}`, String(i));
      } finally {
        await client.close();
      }
      const backup = JSON.parse((await run(file, ["redis:backup", "--json"])).stdout) as {
        id: string;
        keyspace: Record<string, { keys: number }>;
      };
      expect(backup.keyspace.db0?.keys).toBeGreaterThanOrEqual(50);
      client = await redis();
      try {
        await client.del(Array.from({ length: 40 }, (_, i) => `compose:it:${i}`));
        expect(await client.exists("compose:it:0")).toBe(0);
      } finally {
        await client.close();
      }
      const restore = JSON.parse(
        (await run(file, ["redis:restore", backup.id, "--yes", "--json"])).stdout,
      ) as {
        check: { ok: boolean };
      };
      expect(restore.check.ok).toBe(true);
      client = await redis();
      try {
        expect(await client.get("compose:it:0")).toBe("0");
        expect(await client.get("compose:it:39")).toBe("39");
      } finally {
        await client.close();
      }
    },
    300_000,
  );

  it(
    "ingests files from the inbox in the ingestor container and finds them through the web container",
    async () => {
      await Deno.mkdir(inbox, { recursive: true });
      for (let i = 0; i < 3; i++) {
        await Deno.writeTextFile(
          join(inbox, `note-${i}.md`),
          `# Compose note ${i}\n\nThe lighthouse keeper logs zeppelinfuel${i} every night.\n`,
        );
        await Deno.chmod(join(inbox, `note-${i}.md`), 0o644);
      }
      const ingest = JSON.parse(
        (await run(file, ["ingestor:ingest", join(inbox, "*.md"), "--json"])).stdout,
      ) as { documents: number; failed: number };
      expect([ingest.documents, ingest.failed]).toEqual([3, 0]);
      const response = await fetch(`http://127.0.0.1:${webPort}/api/search?q=zeppelinfuel1`);
      const found = await response.json() as { total: number; hits: { title: string }[] };
      expect(found.total).toBe(1);
      expect(found.hits[0]?.title).toBe("Compose note 1");

      // the index in a snapshot: OpenSearch writes the repository into the shared state folder
      const snapshot = JSON.parse((await run(file, ["opensearch:backup", "--json"])).stdout) as {
        id: string;
        indices: { aliases: string[]; documents: number }[];
      };
      expect(snapshot.indices.find((i) => i.aliases.includes("documents"))?.documents).toBe(3);
      await run(file, ["opensearch:verify", snapshot.id]);

      // a file the container cannot read is refused before anything is enqueued
      const outside = join(dir, "outside.md");
      await Deno.writeTextFile(outside, "# Outside\n");
      const refused = await ops(file, ["ingestor:ingest", outside], { env: secrets });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(`outside the ingestor's inbox ${inbox}`);
    },
    300_000,
  );

  it("shows a service's container log", async () => {
    const logs = await run(file, ["postgres:logs", "--tail", "50"]);
    expect(logs.stdout).toContain("database system is ready to accept connections");
  }, 60_000);

  it("takes the stack down: containers and network gone, data kept", async () => {
    await run(file, ["down"]);
    expect(await containers()).toEqual([]);
    const networks = await new Deno.Command("docker", {
      args: ["network", "ls", "--filter", `name=${project}`, "--format", "{{.Name}}"],
      stdout: "piped",
    }).output();
    expect(new TextDecoder().decode(networks.stdout).trim()).toBe("");
    await Deno.stat(join(dir, "state", "postgres", "data", "PG_VERSION"));
    const status = JSON.parse((await run(file, ["status", "--json"])).stdout) as {
      services: { state: string }[];
    };
    expect(status.services.every((s) => s.state === "stopped")).toBe(true);
  }, 300_000);
});

describe("compose runtime in production: only the web app publishes a port", () => {
  const prodProject = `${project}-prod`;
  const prodWebPort = freePort();
  let prodDir = "";
  let prodFile = "";
  let prodInbox = "";
  let composeEnv: Record<string, string> = {};

  /** `./ops ARGS --env FILE` through the wrapper: deno.json's permission sets, as an operator runs it. */
  async function opsWrapper(args: string[]) {
    const child = await new Deno.Command(join(root, "ops"), {
      args: [...args, "--env", prodFile],
      cwd: root,
      env: { ...composeEnv, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      code: child.code,
      stdout: new TextDecoder().decode(child.stdout),
      stderr: new TextDecoder().decode(child.stderr),
    };
  }

  beforeAll(async () => {
    prodDir = await Deno.makeTempDir({ prefix: "hailmary-compose-prod-it-" });
    await Deno.chmod(prodDir, 0o755);
    prodInbox = join(prodDir, "inbox");
    const secretDir = join(prodDir, "operator-secrets");
    await Deno.mkdir(secretDir, { mode: 0o700 });
    for (const name of ["postgres_password", "redis_password"]) {
      await Deno.writeTextFile(join(secretDir, name), `prod-it-${name}-S3cret`, { mode: 0o600 });
    }
    prodFile = join(prodDir, "production-it.yaml");
    await Deno.writeTextFile(
      prodFile,
      stringify({
        name: "production-it",
        runtime: "compose",
        protected: true,
        stateDir: join(prodDir, "state"),
        backupDir: join(prodDir, "backups"),
        compose: {
          project: prodProject,
          files: ["compose.yaml", "environments/compose.production.yaml"],
        },
        services: {
          postgres: { port: 5432, password: `file:${join(secretDir, "postgres_password")}` },
          redis: { port: 6379, password: `file:${join(secretDir, "redis_password")}` },
          opensearch: { port: 9200, heap: "512m" },
          web: { port: 3000 },
          ingestor: { port: 8090, inbox: prodInbox },
        },
      }),
    );
    // the daemon's open-files cap bounds OpenSearch's (a sandbox may cap it below 65536)
    const daemonPid = (await Deno.readTextFile("/var/run/docker.pid")).trim();
    const cap = /Max open files\s+\d+\s+(\d+)/.exec(
      await Deno.readTextFile(`/proc/${daemonPid}/limits`),
    )?.[1];
    composeEnv = {
      HAILMARY_WEB_PUBLISH: `127.0.0.1:${prodWebPort}`,
      HAILMARY_OPENSEARCH_NOFILE: String(Math.min(65536, Number(cap ?? 65536))),
      HAILMARY_OPENSEARCH_MEMORY: "2g",
    };
  }, 120_000);

  afterAll(async () => {
    if (prodFile) await removeStack(prodFile, prodProject, prodDir, composeEnv);
  }, 300_000);

  it("comes up healthy with read-only containers and no port but web's on the host", async () => {
    const up = await ops(prodFile, ["up"], { env: composeEnv, timeoutMs: 900_000 });
    if (up.code !== 0) throw new Error(`up failed:\n${up.stderr}`);
    const { stdout } = await new Deno.Command("docker", {
      args: [
        "ps",
        "--filter",
        `label=com.docker.compose.project=${prodProject}`,
        "--format",
        '{{.Label "com.docker.compose.service"}} {{.Ports}}',
      ],
      stdout: "piped",
    }).output();
    const published = new TextDecoder().decode(stdout).trim().split("\n").filter((l) =>
      l.includes("->")
    );
    expect(published).toEqual([`web 127.0.0.1:${prodWebPort}->3000/tcp`]);
    const status = await opsWrapper(["status", "--json"]);
    expect(status.code).toBe(0);
    const services = (JSON.parse(status.stdout) as {
      services: { name: string; state: string; healthy: boolean }[];
    }).services;
    expect(services.map((s) => [s.name, s.state, s.healthy])).toEqual([
      ["ingestor", "running", true],
      ["opensearch", "running", true],
      ["postgres", "running", true],
      ["redis", "running", true],
      ["web", "running", true],
    ]);
  }, 900_000);

  it(
    "reaches the unpublished servers from the operator's tasks under deno.json's permissions",
    async () => {
      const redis = await opsWrapper(["redis:backup", "--json"]);
      expect(redis.stderr).toBe("");
      expect(redis.code).toBe(0);
      expect((JSON.parse(redis.stdout) as { id: string }).id).toMatch(/^\d{8}T\d{6}Z-/);

      await Deno.mkdir(prodInbox, { recursive: true });
      await Deno.writeTextFile(join(prodInbox, "prod.md"), "# Production note\n\nmarmotbeacon\n");
      const ingest = await opsWrapper(["ingestor:ingest", join(prodInbox, "prod.md"), "--json"]);
      expect(ingest.code).toBe(0);
      expect((JSON.parse(ingest.stdout) as { documents: number }).documents).toBe(1);
      const smoke = await opsWrapper(["web:smoke", "--query", "marmotbeacon"]);
      expect(smoke.stdout + smoke.stderr).toContain("works end to end");
      expect(smoke.code).toBe(0);
    },
    300_000,
  );

  it("refuses a dangerous task without --force", async () => {
    const flush = await opsWrapper(["redis:flush", "--db", "0", "--yes"]);
    expect(flush.code).toBe(2);
    expect(flush.stderr).toContain('refused in the protected environment "production-it"');
  }, 60_000);
});

afterAll(async () => {
  await stopDaemonStartedHere();
}, 120_000);
