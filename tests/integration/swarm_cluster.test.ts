/**
 * The swarm runtime on a real local cluster: three Docker daemons in network
 * namespaces made by `cluster:create`, the five services deployed from the
 * same compose files as staging, web replicated across nodes, a web task
 * killed with SIGKILL and replaced, the node running web drained while the
 * stack stays healthy, a postgres backup and restore through the engine of
 * the node running postgres, then `down` and `cluster:destroy`, which must
 * leave no daemon, namespace, link or mount. The images come from this
 * host's engine (`./ops setup --env cluster` builds them).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { stringify } from "yaml";
import { freeSubnet, hostText as text } from "../helpers/cluster_host.ts";
import { ops, opsOk, type OpsRun, root } from "../helpers/test_stack.ts";

const name = `swarmit${Date.now().toString(36).slice(-4)}`;
let dir = "";
let envFile = "";
const timings: Record<string, number> = {};

async function run(args: string[], expected = 0, timeoutMs = 600_000): Promise<OpsRun> {
  const began = performance.now();
  try {
    return await opsOk(envFile, args, expected, { timeoutMs });
  } finally {
    timings[args.join(" ")] = Math.round(performance.now() - began);
  }
}

interface Status {
  services: {
    name: string;
    healthy: boolean;
    pid: number | null;
    nodes?: string[];
    replicas?: { running: number; desired: number };
  }[];
}

async function status(): Promise<Status> {
  return JSON.parse((await run(["status", "--json"])).stdout) as Status;
}

interface Nodes {
  nodes: { name: string; address: string; role: string; availability: string; tasks: string[] }[];
}

async function nodes(): Promise<Nodes["nodes"]> {
  return (JSON.parse((await run(["nodes", "--json"])).stdout) as Nodes).nodes;
}

/** What of the cluster is left on this host: daemons, namespaces, the host link, mounts. */
function leftovers(): string[] {
  const found: string[] = [];
  const processes = text(["ps", "-eo", "args="]).split("\n").filter((l) =>
    l.includes(`/run/hailmary/${name}/`)
  );
  found.push(...processes.map((p) => `process ${p.slice(0, 80)}`));
  found.push(
    ...text(["ip", "netns", "list"]).split("\n").filter((l) => l.startsWith(`hailmary-${name}-`))
      .map((l) => `namespace ${l}`),
  );
  if (text(["ip", "-o", "link", "show"]).includes(`hm-${name}`)) found.push(`link hm-${name}`);
  found.push(
    ...text(["findmnt", "--raw", "--noheadings", "--output", "TARGET"]).split("\n").filter((t) =>
      t.startsWith(`/run/hailmary/${name}`) || (dir !== "" && t.startsWith(dir))
    ).map((t) => `mount ${t}`),
  );
  try {
    Deno.statSync(`/run/hailmary/${name}`);
    found.push(`folder /run/hailmary/${name}`);
  } catch {
    // removed
  }
  return found;
}

beforeAll(async () => {
  dir = await Deno.makeTempDir({ prefix: "hailmary-swarm-it-" });
  await Deno.chmod(dir, 0o755);
  envFile = join(dir, `${name}.yaml`);
  await Deno.writeTextFile(
    envFile,
    stringify({
      name,
      runtime: "swarm",
      stateDir: join(dir, "state"),
      backupDir: join(dir, "backups"),
      compose: {
        project: `hailmary-${name}`,
        files: [join(root, "compose.yaml"), join(root, "environments/compose.cluster.yaml")],
      },
      swarm: { stack: `hailmary-${name}`, subnet: freeSubnet(), replicas: { web: 2 } },
      services: {
        postgres: { port: 5432, password: "generated:postgres-app-password" },
        redis: { port: 6379, password: "generated:redis-password" },
        opensearch: { port: 9200, heap: "512m" },
        web: { port: 3000 },
        ingestor: { port: 8090 },
      },
    }),
  );
  const forwardBefore = text(["sysctl", "-n", "net.ipv4.ip_forward"]).trim();
  await run(["cluster:create", "--nodes", "3"]);
  expect(text(["sysctl", "-n", "net.ipv4.ip_forward"]).trim()).toBe(forwardBefore);
}, 300_000);

afterAll(async () => {
  if (!envFile) return;
  console.log(`swarm cluster test timings (ms): ${JSON.stringify(timings)}`);
  await ops(envFile, ["down"], { timeoutMs: 300_000 }).catch(() => {});
  await ops(envFile, ["cluster:destroy", "--yes"], { timeoutMs: 300_000 }).catch(() => {});
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}, 600_000);

describe("the swarm runtime on a local three-node cluster", () => {
  it(
    "forms a swarm of three ready nodes, the stateful services pinned to the manager",
    async () => {
      const listed = await nodes();
      expect(listed.map((n) => n.role).sort()).toEqual(["manager", "worker", "worker"]);
      expect(new Set(listed.map((n) => n.address)).size).toBe(3);
      // a second create finds it running and changes nothing
      const again = await run(["cluster:create", "--nodes", "3", "--json"]);
      expect(JSON.parse(again.stdout).action).toBe("already running");
    },
    120_000,
  );

  it("brings the five services up healthy, web on two nodes", async () => {
    await run(["up"], 0, 900_000);
    const health = await run(["health", "--wait", "120", "--json"]);
    const report = JSON.parse(health.stdout) as Status;
    expect(report.services.map((s) => [s.name, s.healthy])).toEqual([
      ["ingestor", true],
      ["opensearch", true],
      ["postgres", true],
      ["redis", true],
      ["web", true],
    ]);
    const web = (await status()).services.find((s) => s.name === "web")!;
    expect(web.replicas).toEqual({ running: 2, desired: 2 });
    expect(new Set(web.nodes).size).toBe(2);
    const manager = (await nodes()).find((n) => n.role === "manager")!;
    expect(manager.tasks).toEqual(expect.arrayContaining(["opensearch", "postgres", "redis"]));
  }, 900_000);

  it("replaces a web task whose process is killed with SIGKILL", async () => {
    const before = (await status()).services.find((s) => s.name === "web")!;
    expect(before.pid).toBeGreaterThan(1);
    Deno.kill(before.pid!, "SIGKILL");
    await run(["health", "--wait", "120"]);
    const after = (await status()).services.find((s) => s.name === "web")!;
    expect(after.replicas).toEqual({ running: 2, desired: 2 });
    expect(after.healthy).toBe(true);
    const pids = text(["ps", "-eo", "pid="]).split("\n").map((p) => Number(p.trim()));
    expect(pids).not.toContain(before.pid);
  }, 300_000);

  it("refuses to drain the node holding postgres without confirmation, naming it", async () => {
    const manager = (await nodes()).find((n) => n.role === "manager")!;
    const refused = await run(["node:drain", manager.name], 2);
    expect(refused.stderr).toContain("postgres");
    expect((await nodes()).find((n) => n.name === manager.name)!.availability).toBe("active");
  }, 120_000);

  it("keeps the stack healthy when a node running web is drained", async () => {
    const listed = await nodes();
    const target = listed.find((n) => n.role === "worker" && n.tasks.includes("web"))!;
    expect(target).toBeDefined();
    await run(["node:drain", target.name]);
    await run(["health", "--wait", "120"]);
    const after = await nodes();
    expect(after.find((n) => n.name === target.name)!.tasks).toEqual([]);
    const web = (await status()).services.find((s) => s.name === "web")!;
    expect(web.replicas).toEqual({ running: 2, desired: 2 });
    expect(web.nodes).not.toContain(target.name);
    await run(["node:activate", target.name]);
  }, 300_000);

  it("backs postgres up and restores it through the engine of the node running it", async () => {
    await run([
      "postgres:psql",
      "-c",
      "create table swarm_probe (n int); insert into swarm_probe values (1), (2), (3)",
    ]);
    const backup = JSON.parse((await run(["postgres:backup", "--json"])).stdout) as { id: string };
    await run(["postgres:psql", "-c", "delete from swarm_probe"]);
    await run(["postgres:restore", backup.id, "--yes"]);
    const count = await run(["postgres:psql", "-At", "-c", "select count(*) from swarm_probe"]);
    expect(count.stdout.trim()).toBe("3");
  }, 300_000);

  it(
    "ingests a folder and finds the document through web while the ingestor runs on another node",
    async () => {
      const inbox = join(dir, "state", "ingestor", "inbox", "notes");
      await Deno.mkdir(inbox, { recursive: true });
      await Deno.writeTextFile(
        join(inbox, "zebra.md"),
        "# Swarm note\n\nthe quagga crosses the overlay network\n",
      );
      await run(["ingestor:ingest", inbox]);
      const listed = await nodes();
      const ingestorNode = listed.find((n) => n.tasks.includes("ingestor"))!;
      const searchNode = listed.find((n) =>
        n.tasks.includes("web") && n.name !== ingestorNode.name
      )!;
      const response = await fetch(`http://${searchNode.address}:3000/api/search?q=quagga`);
      const found = await response.json() as { total: number; hits: { title: string }[] };
      expect(found.total).toBe(1);
      expect(found.hits[0]!.title).toBe("Swarm note");
    },
    300_000,
  );

  it("backs redis up and restores it from the state folder its node mounts", async () => {
    const backup = JSON.parse((await run(["redis:backup", "--json"])).stdout) as { id: string };
    await run(["redis:restore", backup.id, "--yes"]);
    await run(["health", "--wait", "120"]);
  }, 300_000);

  it("backs opensearch up and restores it after its index was deleted", async () => {
    const backup = JSON.parse((await run(["opensearch:backup", "--json"])).stdout) as {
      id: string;
    };
    await run(["opensearch:delete-index", "documents", "--force", "--yes"]);
    const web = (await nodes()).find((n) => n.tasks.includes("web"))!;
    // a word not searched before: web caches answers
    const gone = await fetch(`http://${web.address}:3000/api/search?q=crosses`);
    const left = gone.ok ? ((await gone.json()) as { total: number }).total : 0;
    if (!gone.ok) await gone.body?.cancel();
    expect(left).toBe(0);
    await run(["opensearch:restore", backup.id, "--yes"]);
    const response = await fetch(`http://${web.address}:3000/api/search?q=network`);
    expect(((await response.json()) as { total: number }).total).toBe(1);
  }, 300_000);

  it("down and cluster:destroy leave no daemon, namespace, link or mount behind", async () => {
    await run(["down"], 0, 300_000);
    const removal = JSON.parse((await run(["cluster:destroy", "--yes", "--json"])).stdout) as {
      removed: string[];
    };
    expect(removal.removed).toEqual(expect.arrayContaining([`namespace hailmary-${name}-hub`]));
    expect(leftovers()).toEqual([]);
    const again = JSON.parse((await run(["cluster:destroy", "--yes", "--json"])).stdout);
    expect(again.action).toBe("nothing to remove");
  }, 600_000);
});
