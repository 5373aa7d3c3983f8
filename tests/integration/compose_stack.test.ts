/**
 * The compose runtime on a real Docker Engine: the staging compose files
 * (compose.yaml + environments/compose.staging.yaml) on free ports, brought up
 * healthy in containers, observed, backed up and restored through exec, and
 * taken down again. Needs the Docker CLI with Compose v2 and either a running
 * daemon or `dockerd` to start (as root: vfs storage, no iptables, no default
 * bridge). Images are built by `./ops setup` when missing, which takes minutes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { stringify } from "yaml";
import { freePort, ops, root } from "../helpers/test_stack.ts";

function succeeds(program: string, args: string[]): boolean {
  try {
    return new Deno.Command(program, { args, stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

const daemonRunning = succeeds("docker", ["info"]);
const canStartDaemon = Deno.uid() === 0 && succeeds("dockerd", ["--version"]);
const dockerAvailable = succeeds("docker", ["compose", "version"]) &&
  (daemonRunning || canStartDaemon);

let daemon: Deno.ChildProcess | undefined;
let dir = "";
let file = "";
const project = `hailmary-it-${Date.now().toString(36)}`;
const secrets = {
  HAILMARY_IT_POSTGRES_PASSWORD: "it-pg-Secret-1",
  HAILMARY_IT_REDIS_PASSWORD: "it-redis-Secret-1",
};

async function startDaemon(): Promise<void> {
  daemon = new Deno.Command("dockerd", {
    args: ["--storage-driver=vfs", "--iptables=false", "--bridge=none"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const deadline = Date.now() + 60_000;
  while (!succeeds("docker", ["info"])) {
    if (Date.now() > deadline) throw new Error("dockerd did not answer within 60 s");
    await new Promise((r) => setTimeout(r, 500));
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

describe.skipIf(!dockerAvailable)("compose runtime on Docker Engine", () => {
  beforeAll(async () => {
    if (!daemonRunning) await startDaemon();
    dir = await Deno.makeTempDir({ prefix: "hailmary-compose-it-" });
    await Deno.chmod(dir, 0o755);
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
        },
      }),
    );
    // builds trust the host's extra certificate authorities (a TLS-inspecting proxy)
    const extra: string[] = [];
    try {
      for await (const entry of Deno.readDir("/usr/local/share/ca-certificates")) {
        if (entry.name.endsWith(".crt")) {
          extra.push(await Deno.readTextFile(join("/usr/local/share/ca-certificates", entry.name)));
        }
      }
    } catch {
      // none
    }
    const setup = await ops(file, ["setup"], {
      env: {
        ...secrets,
        ...(extra.length ? { HAILMARY_BUILD_CA_CERTIFICATES: extra.join("\n") } : {}),
      },
      timeoutMs: 3_000_000,
    });
    if (setup.code !== 0) throw new Error(`setup failed:\n${setup.stderr}\n${setup.stdout}`);
  }, 3_600_000);

  afterAll(async () => {
    if (file) {
      await ops(file, ["down"], { env: secrets }).catch(() => {});
      for (const volume of ["postgres_data", "redis_data", "opensearch_data"]) {
        await new Deno.Command("docker", {
          args: ["volume", "rm", "-f", `${project}_${volume}`],
          stdout: "null",
          stderr: "null",
        })
          .output();
      }
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
    if (daemon) {
      daemon.kill("SIGTERM");
      await daemon.status;
    }
  }, 300_000);

  it("brings the staging stack up healthy in containers", async () => {
    await run(file, ["up"]);
    expect(await containers()).toEqual([
      `${project}-opensearch-1`,
      `${project}-postgres-1`,
      `${project}-redis-1`,
    ]);
    const status = JSON.parse((await run(file, ["status", "--json"])).stdout) as {
      services: { name: string; state: string; healthy: boolean; pid: number | null }[];
    };
    expect(status.services.map((s) => [s.name, s.state, s.healthy])).toEqual([
      ["opensearch", "running", true],
      ["postgres", "running", true],
      ["redis", "running", true],
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
      rows: number;
    };
    expect(backup.rows).toBe(300);
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
