/**
 * The local cluster's own life cycle with real daemons (no stack on it): a
 * create after a crash (every daemon killed with SIGKILL, the processes of
 * their containers' engine gone) removes what is left and makes a working
 * swarm again; destroy leaves no daemon, namespace, link or folder, puts
 * nothing in this host's IP forwarding, and says so when run twice; a
 * node count out of range and a network another link routes are refused
 * with exit 2.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { stringify } from "yaml";
import { freeSubnet, hostText as text } from "../../helpers/cluster_host.ts";
import { ops, opsOk, type OpsRun } from "../../helpers/test_stack.ts";

const name = `clus${Date.now().toString(36).slice(-4)}`;
let dir = "";
let envFile = "";

const run = (args: string[], expected = 0): Promise<OpsRun> => opsOk(envFile, args, expected);

function daemons(): number[] {
  return text(["ps", "-eo", "pid=,args="]).split("\n").filter((l) =>
    l.includes(`/run/hailmary/${name}/`) && l.includes("dockerd")
  ).map((l) => Number(l.trim().split(/\s+/)[0]));
}

function namespaces(): string[] {
  return text(["ip", "netns", "list"]).split("\n").filter((l) => l.startsWith(`hailmary-${name}-`));
}

beforeAll(async () => {
  dir = await Deno.makeTempDir({ prefix: "hailmary-cluster-life-" });
  envFile = join(dir, `${name}.yaml`);
  await Deno.writeTextFile(
    envFile,
    stringify({
      name,
      runtime: "swarm",
      stateDir: join(dir, "state"),
      backupDir: join(dir, "backups"),
      swarm: { subnet: freeSubnet(250, 221) },
      services: { postgres: { port: 5432, password: "generated:pg" } },
    }),
  );
});

afterAll(async () => {
  await ops(envFile, ["cluster:destroy", "--yes"], { timeoutMs: 300_000 }).catch(() => {});
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}, 300_000);

describe("the local cluster", () => {
  it("refuses a node count out of range with exit 2, making nothing", async () => {
    const refused = await run(["cluster:create", "--nodes", "12"], 2);
    expect(refused.stderr).toContain("--nodes must be a whole number from 1 to 9");
    expect(namespaces()).toEqual([]);
  });

  it("makes a working swarm again after its daemons were killed", async () => {
    const forward = text(["sysctl", "-n", "net.ipv4.ip_forward"]).trim();
    await run(["cluster:create", "--nodes", "2"]);
    expect(daemons().length).toBe(2);
    for (const pid of daemons()) Deno.kill(pid, "SIGKILL");
    const recreated = JSON.parse((await run(["cluster:create", "--nodes", "2", "--json"])).stdout);
    expect(recreated.action).toBe("created");
    // the environment came from a file: the next command names it by its path
    expect(recreated.next).toBe(`./ops up --env ${envFile}`);
    const listed = JSON.parse((await run(["nodes", "--json"])).stdout) as {
      nodes: { state: string }[];
    };
    expect(listed.nodes.map((n) => n.state)).toEqual(["ready", "ready"]);
    expect(text(["sysctl", "-n", "net.ipv4.ip_forward"]).trim()).toBe(forward);
  }, 240_000);

  it("refuses a second cluster on a network this host already routes", async () => {
    const other = join(dir, "other.yaml");
    const subnet = text(["ip", "-o", "addr", "show", "dev", `hm-${name}`]).match(
      /inet (\d+\.\d+\.\d+)\.254/,
    )![1];
    await Deno.writeTextFile(
      other,
      stringify({
        name: `${name}b`,
        runtime: "swarm",
        stateDir: join(dir, "other"),
        swarm: { subnet: `${subnet}.0/24` },
        services: { postgres: { port: 5432, password: "generated:pg" } },
      }),
    );
    const refused = await ops(other, ["cluster:create", "--nodes", "1"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`is already routed through hm-${name}`);
  }, 120_000);

  it(
    "destroy leaves no daemon, namespace, link or folder, and a second one finds nothing",
    async () => {
      await run(["cluster:destroy", "--yes"]);
      expect(daemons()).toEqual([]);
      expect(namespaces()).toEqual([]);
      expect(text(["ip", "-o", "link", "show"])).not.toContain(`hm-${name}`);
      expect(() => Deno.statSync(`/run/hailmary/${name}`)).toThrow();
      expect(() => Deno.statSync(join(dir, "state", "cluster"))).toThrow();
      const again = JSON.parse((await run(["cluster:destroy", "--yes", "--json"])).stdout);
      expect(again.action).toBe("nothing to remove");
    },
    240_000,
  );
});
