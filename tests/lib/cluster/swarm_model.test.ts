/**
 * The pure parts of the swarm runtime and the local cluster: the cluster's
 * layout, the stack file rendered from a merged compose model, the swarm
 * checks of config:validate and the process state read from a stack's tasks.
 * The real cluster is exercised by tests/integration/swarm_cluster.test.ts.
 */
import { describe, expect, it } from "vitest";
import { clusterLayout } from "../../../lib/cluster/cluster_layout.ts";
import { loadEnvironment } from "../../../lib/config/mod.ts";
import { renderSwarmStack, statefulServicesOf } from "../../../lib/runtime/swarm_stack.ts";
import type { MergedCompose } from "../../../lib/runtime/swarm_stack.ts";
import { swarmViolations } from "../../../lib/runtime/swarm_stack_check.ts";
import { swarmProcessInfo } from "../../../lib/runtime/swarm_state.ts";
import type { SwarmTask } from "../../../lib/runtime/swarm_tasks.ts";

const environment = await loadEnvironment("cluster", { resolveSecrets: false });

const model: MergedCompose = {
  services: {
    postgres: {
      image: "hailmary/postgres:latest",
      build: { context: "." },
      depends_on: {},
      restart: "unless-stopped",
      command: null,
      environment: { HAILMARY_POSTGRES_PORT: "5432" },
      healthcheck: { test: ["CMD-SHELL", "pg_isready -p $$HAILMARY_POSTGRES_PORT"] },
      volumes: [
        { type: "volume", source: "postgres_data", target: "/var/lib/postgresql/data", volume: {} },
        "/srv/state/postgres/socket:/srv/state/postgres/socket",
      ],
      secrets: [{ source: "postgres_password" }],
      deploy: { resources: { limits: { cpus: 1, memory: "1073741824" } } },
      ports: [{ mode: "ingress", target: 5432, published: "5432" }],
    },
    web: {
      image: "hailmary/web:latest",
      depends_on: { postgres: { condition: "service_healthy" } },
      secrets: ["postgres_password"],
    },
  },
  volumes: { postgres_data: { driver_opts: { type: "none", o: "bind", device: "/srv/data" } } },
  secrets: { postgres_password: { file: "/srv/secrets/postgres_password" } },
};

describe("the local cluster's layout", () => {
  it("gives each node its namespace, address, socket and folders, the host .254", () => {
    const layout = clusterLayout(environment, 3);
    expect(layout.nodes.map((n) => [n.name, n.netns, n.address])).toEqual([
      ["cluster-node1", "hailmary-cluster-node1", "192.168.213.2"],
      ["cluster-node2", "hailmary-cluster-node2", "192.168.213.3"],
      ["cluster-node3", "hailmary-cluster-node3", "192.168.213.4"],
    ]);
    expect(layout.hostAddress).toBe("192.168.213.254");
    expect(layout.hostLink.length).toBeLessThanOrEqual(15);
    expect(layout.nodes[0]!.engine).toBe("unix:///run/hailmary/cluster/node1/docker.sock");
    expect(layout.nodes[0]!.dataRoot.startsWith(environment.stateDir)).toBe(true);
  });

  it("keeps a long environment name's host link within Linux's 15 characters", () => {
    const long = { ...environment, name: "a-very-long-environment-name" };
    expect(clusterLayout(long, 1).hostLink.length).toBeLessThanOrEqual(15);
  });
});

describe("the stack file", () => {
  const stack = renderSwarmStack(environment, model, {
    replicas: { postgres: 1, web: 2 },
    secretDigests: { postgres_password: "abc123" },
    stack: "hailmary-cluster",
  }) as {
    services: Record<string, Record<string, unknown> & { deploy: Record<string, unknown> }>;
    secrets: Record<string, { file: string; name: string }>;
    networks: Record<string, { driver: string }>;
  };
  const postgres = stack.services.postgres!;
  const web = stack.services.web!;

  it("drops what only compose uses and keeps null keys out", () => {
    for (const key of ["build", "depends_on", "restart", "command"]) {
      expect(postgres).not.toHaveProperty(key);
    }
    expect(web).not.toHaveProperty("depends_on");
  });

  it("pins a stateful service to its labelled node, one replica, stop-first", () => {
    expect(statefulServicesOf(model)).toEqual(["postgres"]);
    expect(postgres.deploy.placement).toEqual({
      constraints: ["node.labels.hailmary.postgres == true"],
      max_replicas_per_node: 1,
    });
    expect((postgres.deploy.update_config as { order: string }).order).toBe("stop-first");
  });

  it("replicates a stateless service with health-gated rolling updates that roll back", () => {
    expect(web.deploy.replicas).toBe(2);
    expect(web.deploy.placement).toEqual({ max_replicas_per_node: 1 });
    expect(web.deploy.update_config).toMatchObject({
      parallelism: 1,
      failure_action: "rollback",
    });
    expect(web.deploy.rollback_config).toMatchObject({ parallelism: 1 });
  });

  it("uses DNS round robin, host-mode ports and an overlay network (no IPVS needed)", () => {
    expect(postgres.deploy.endpoint_mode).toBe("dnsrr");
    expect(postgres.ports).toEqual([{
      target: 5432,
      published: 5432,
      protocol: "tcp",
      mode: "host",
    }]);
    expect(stack.networks.hailmary!.driver).toBe("overlay");
  });

  it("writes limits as strings, mounts in long syntax, secrets named after their content", () => {
    expect(postgres.deploy.resources).toEqual({ limits: { cpus: "1", memory: "1073741824" } });
    expect(postgres.volumes).toEqual([
      { type: "volume", source: "postgres_data", target: "/var/lib/postgresql/data" },
      {
        type: "bind",
        source: "/srv/state/postgres/socket",
        target: "/srv/state/postgres/socket",
      },
    ]);
    expect(stack.secrets.postgres_password).toEqual({
      file: "/srv/secrets/postgres_password",
      name: "hailmary-cluster_postgres_password_abc123",
    });
    // compose's escaped $ stays escaped: stack deploy reads it as a literal $
    expect(JSON.stringify(postgres.healthcheck)).toContain("$$HAILMARY_POSTGRES_PORT");
  });

  it("gives a stopped service zero replicas", () => {
    const stopped = renderSwarmStack(environment, model, {
      replicas: { postgres: 1 },
      secretDigests: {},
      stack: "s",
    }) as { services: Record<string, { deploy: { replicas: number } }> };
    expect(stopped.services.web!.deploy.replicas).toBe(0);
  });
});

describe("config:validate's swarm checks", () => {
  it("refuses replicas of a stateful service, an unknown service and a service without image", async () => {
    const env = {
      ...environment,
      swarm: { ...environment.swarm, replicas: { postgres: 2, webb: 1 } },
    };
    const noImage: MergedCompose = {
      ...model,
      services: { ...model.services, web: { build: { context: "." } } },
    };
    const found = await swarmViolations(env, noImage);
    expect(found.map((v) => [v.rule, v.service])).toEqual([
      ["swarm-stateful-replicas", "postgres"],
      ["swarm-replicas", "webb"],
      ["swarm-image", "web"],
    ]);
  });

  it("passes the shipped cluster model and reports what docker stack config refuses", async () => {
    expect(await swarmViolations(environment, model)).toEqual([]);
    const found = await swarmViolations(environment, model, () => Promise.resolve("bad key"));
    expect(found).toEqual([{
      rule: "swarm-stack",
      service: null,
      message: "docker stack config refuses the rendered stack file: bad key",
    }]);
  });
});

describe("a service's state from its tasks", () => {
  const task = (node: string, health: string): SwarmTask => ({
    service: "web",
    taskId: `t-${node}`,
    containerId: `c-${node}`,
    node: { name: node, engine: `unix:///run/${node}.sock` },
    health,
    pid: 100,
    startedAt: "2026-11-29T00:00:00.000Z",
    lastCheck: null,
  });

  it("is stopped with no task and no desired replica", () => {
    expect(swarmProcessInfo("web", { tasks: [], desired: new Map() }).state).toBe("stopped");
  });

  it("counts healthy replicas of desired and names their nodes", () => {
    const info = swarmProcessInfo("web", {
      tasks: [task("n2", "healthy"), task("n1", "healthy")],
      desired: new Map([["web", 2]]),
    });
    expect(info).toMatchObject({
      state: "running",
      replicas: 2,
      desiredReplicas: 2,
      nodes: ["n1", "n2"],
      health: { healthy: true, detail: "2/2 replicas healthy on n1, n2" },
    });
  });

  it("is unhealthy while fewer replicas than desired are healthy", () => {
    const info = swarmProcessInfo("web", {
      tasks: [task("n1", "healthy"), task("n2", "starting")],
      desired: new Map([["web", 2]]),
    });
    expect(info.health?.healthy).toBe(false);
    expect(info.health?.detail).toContain("1/2 replicas healthy");
    const none = swarmProcessInfo("web", { tasks: [], desired: new Map([["web", 2]]) });
    expect(none).toMatchObject({ state: "starting", health: { healthy: false } });
  });
});
