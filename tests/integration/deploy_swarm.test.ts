/**
 * `deploy`, `rollback` and `releases` on a real swarm: a local cluster of two
 * Docker daemons in network namespaces (`cluster:create`), postgres, redis,
 * opensearch and two web replicas (one per node, host-mode port). A client
 * polls web on both nodes all along (one retry, on the other node) and sees
 * no failure while a new image rolls out task by task, nor while an image
 * whose health check never passes is rolled back by swarm itself.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { stringify } from "yaml";
import type { Release } from "../../lib/deploy/release_log.ts";
import { dockerText } from "../helpers/docker_text.ts";
import { ops, opsOk, type OpsRun } from "../helpers/test_stack.ts";

const suffix = Date.now().toString(36);
const name = "dswarm-it";
const stack = `hailmary-${name}`;
const subnet = "192.168.215";
const nodes = [`${subnet}.2`, `${subnet}.3`];
const webPort = 3000;
const next = `hailmary/web:swarm-it-${suffix}`;
const broken = `hailmary/web:swarm-it-unhealthy-${suffix}`;
let dir = "";
let file = "";
let managerSocket = "";
/** The tag the rollback made on this host (removed at the end). */
let rollbackTag = "";

function run(args: string[], expected = 0): Promise<OpsRun> {
  return opsOk(file, args, expected, { timeoutMs: 1_200_000 });
}

/** The image reference web's swarm service names now. */
async function webSpecImage(): Promise<string> {
  return (await dockerText([
    "--host",
    managerSocket,
    "service",
    "inspect",
    "--format",
    "{{.Spec.TaskTemplate.ContainerSpec.Image}}",
    `${stack}_web`,
  ])).replace(/@sha256:.*$/, "");
}

/** Polls web's health on both nodes in turn until stopped; a failed request is retried once on the other node. */
function pollWeb(): {
  stop: () => Promise<{ requests: number; retried: number; failed: string[] }>;
} {
  let running = true;
  let requests = 0;
  let retried = 0;
  const failed: string[] = [];
  const once = async (address: string) => {
    try {
      const response = await fetch(`http://${address}:${webPort}/health`, {
        signal: AbortSignal.timeout(5000),
      });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
    } catch (error) {
      // when, where and why, so a failure names the node and the moment of the rollout
      const cause = error instanceof Error && error.cause instanceof Error
        ? ` (${error.cause.message})`
        : "";
      throw new Error(
        `${new Date().toISOString()} ${address}: ${
          error instanceof Error ? error.message : String(error)
        }${cause}`,
      );
    }
  };
  const loop = (async () => {
    while (running) {
      const first = nodes[requests++ % 2]!;
      try {
        await once(first);
      } catch {
        retried++;
        try {
          await once(nodes[requests % 2]!);
        } catch (error) {
          failed.push(error instanceof Error ? error.message : String(error));
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { requests, retried, failed };
    },
  };
}

describe("deploy on a swarm", () => {
  beforeAll(async () => {
    dir = await Deno.makeTempDir({ prefix: "hailmary-deploy-swarm-" });
    await Deno.chmod(dir, 0o755);
    file = join(dir, `${name}.yaml`);
    await Deno.writeTextFile(
      file,
      stringify({
        name,
        runtime: "swarm",
        stateDir: join(dir, "state"),
        backupDir: join(dir, "backups"),
        compose: { project: stack, files: ["compose.yaml", "environments/compose.cluster.yaml"] },
        swarm: { stack, subnet: `${subnet}.0/24`, replicas: { web: 2 } },
        services: {
          postgres: { port: 5432, password: "generated:postgres-app-password" },
          redis: { port: 6379, password: "generated:redis-password" },
          opensearch: { port: 9200, heap: "512m" },
          web: { port: webPort },
        },
      }),
    );
    await run(["cluster:create", "--nodes", "2"]);
    managerSocket = `unix:///run/hailmary/${name}/node1/docker.sock`;
    await run(["up"]);
    // a new version of web (the same content under a new tag), and one whose app never starts
    await dockerText(["tag", "hailmary/web:latest", next]);
    await dockerText(
      ["build", "--network", "none", "--tag", broken, "-"],
      `FROM hailmary/web:latest\nCMD ["sleep", "3600"]\n`,
    );
  }, 1_800_000);

  afterAll(async () => {
    if (!file) return;
    await ops(file, ["down"]).catch(() => {});
    await ops(file, ["cluster:destroy", "--yes"]).catch(() => {});
    await dockerText(["rmi", next, broken, ...(rollbackTag ? [rollbackTag] : [])]).catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }, 600_000);

  it("rolls a new image out task by task while a polling client sees no failure", async () => {
    const before = await webSpecImage();
    const poller = pollWeb();
    const result = await run(["deploy", "web", "--image", next, "--json"]);
    const { requests, failed } = await poller.stop();
    const release = (JSON.parse(result.stdout) as { releases: Release[] }).releases[0]!;
    expect(release).toMatchObject({ action: "deploy", version: next, outcome: "succeeded" });
    expect(await webSpecImage()).toBe(next);
    expect(before).not.toBe(next);
    expect(failed).toEqual([]);
    expect(requests).toBeGreaterThan(20);
  }, 900_000);

  it(
    "is rolled back by swarm when the new tasks never become healthy, with no failed request",
    async () => {
      const poller = pollWeb();
      const result = await run(["deploy", "web", "--image", broken, "--json"], 1);
      const { requests, retried, failed } = await poller.stop();
      const release = (JSON.parse(result.stdout) as { releases: Release[] }).releases[0]!;
      expect(release.outcome).toBe("failed");
      expect(release.detail).toContain("swarm rolled web back by itself");
      expect(await webSpecImage()).toBe(next);
      expect(failed).toEqual([]);
      expect(requests).toBeGreaterThan(20);
      // the broken task took one node's replica away for a while: the retries went to the other
      expect(retried).toBeGreaterThan(0);
    },
    900_000,
  );

  it("rolls back to the image web ran before its current release", async () => {
    const result = await run(["rollback", "web", "--json"]);
    const release = (JSON.parse(result.stdout) as { releases: Release[] }).releases[0]!;
    expect(release).toMatchObject({ action: "rollback", outcome: "succeeded" });
    rollbackTag = release.image ?? "";
    expect(release.image).toMatch(/^hailmary\/web:rollback-[0-9a-f]{12}$/);
    expect(await webSpecImage()).toBe(release.image);
    const listed = JSON.parse((await run(["releases", "web", "--json"])).stdout) as {
      releases: Release[];
    };
    expect(listed.releases.map((r) => [r.action, r.outcome])).toEqual([
      ["deploy", "succeeded"],
      ["deploy", "failed"],
      ["rollback", "succeeded"],
    ]);
  }, 900_000);
});
