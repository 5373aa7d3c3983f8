import type { Environment } from "../config/mod.ts";
import { FailedError, UsageError } from "../errors.ts";
import { placementLabel } from "../runtime/swarm_placement.ts";
import {
  type ClusterLayout,
  clusterLayout,
  defaultClusterSubnet,
  maxClusterNodes,
} from "./cluster_layout.ts";
import { createHub, createNodeNetwork, ipForward } from "./cluster_network.ts";
import { readClusterState, writeClusterState } from "./cluster_state.ts";
import { destroyCluster } from "./destroy_cluster.ts";
import { startNodeDaemon, waitNodeAnswers } from "./node_daemon.ts";
import { command, tryCommand } from "./system_command.ts";

/** The outcome of {@link createCluster}. */
export interface ClusterSummary {
  environment: string;
  /** `created`, or `already running` when the recorded cluster answered as asked. */
  action: string;
  nodes: { name: string; address: string; engine: string; role: string }[];
  durationMs: number;
  /** `net.ipv4.ip_forward` of this host before and after (the cluster leaves it as it was). */
  ipForward: { before: string; after: string };
}

/** A created cluster and the command that starts the environment's stack on it. */
export interface ClusterCreated extends ClusterSummary {
  /** `./ops up --env ...`, naming an environment loaded from a file by its path. */
  next: string;
}

/** Options of {@link createCluster}. */
export interface CreateClusterOptions {
  nodes: number;
  /** Services pinned to node 1 with the label `hailmary.<service>=true` (the stateful ones). */
  pinned: readonly string[];
  /** Progress lines. */
  info?: (line: string) => void;
}

/**
 * Makes a Docker Swarm of `nodes` daemons on this machine, each in its own
 * network namespace linked to a bridge in a hub namespace, and joins them
 * (node 1 the manager). Idempotent: a recorded cluster of the same size whose
 * daemons answer is left as it is; anything else recorded (a crash, another
 * size) is removed first. The state is recorded before anything is made, so
 * `cluster:destroy` can undo a half-made cluster.
 * @throws {UsageError} for a node count out of range; {FailedError} when a step fails (after undoing it).
 */
export async function createCluster(
  environment: Environment,
  options: CreateClusterOptions,
): Promise<ClusterSummary> {
  const began = performance.now();
  const count = options.nodes;
  if (!Number.isInteger(count) || count < 1 || count > maxClusterNodes) {
    throw new UsageError(
      `--nodes must be a whole number from 1 to ${maxClusterNodes}, got ${
        JSON.stringify(String(count))
      }`,
      "for example ./ops cluster:create --nodes 3",
    );
  }
  if (environment.swarm?.nodes) {
    throw new UsageError(
      `environment ${
        JSON.stringify(environment.name)
      } names its nodes (swarm.nodes): it is a real cluster, not one made here`,
      "use an environment without swarm.nodes (environments/cluster.yaml) for a local cluster",
    );
  }
  const layout = clusterLayout(environment, count);
  const info = options.info ?? (() => {});
  await refuseSubnetInUse(layout);
  const recorded = await readClusterState(layout.stateFile);
  if (recorded?.complete && recorded.nodes === count && await swarmReady(layout)) {
    return summary(layout, "already running", began, recorded.ipForwardBefore);
  }
  if (recorded) {
    info(`removing what is left of the previous cluster (${recorded.nodes} node(s))`);
  }
  await destroyCluster(environment, { quiet: true });
  const before = await ipForward();
  const state = {
    environment: environment.name,
    nodes: count,
    subnet: environment.swarm?.subnet ?? defaultClusterSubnet,
    ipForwardBefore: before,
    createdAt: new Date().toISOString(),
    complete: false,
  };
  await writeClusterState(layout.stateFile, state);
  try {
    info(`making the cluster network ${layout.prefix}.0/24 (host ${layout.hostAddress})`);
    await createHub(layout);
    for (const node of layout.nodes) await createNodeNetwork(layout, node);
    info(`starting ${count} Docker daemon(s)`);
    for (const node of layout.nodes) await startNodeDaemon(node);
    await Promise.all(layout.nodes.map((node) => waitNodeAnswers(node)));
    await formSwarm(layout, options.pinned, info);
  } catch (error) {
    info("undoing the half-made cluster");
    await destroyCluster(environment, { quiet: true }).catch(() => {});
    throw error;
  }
  await writeClusterState(layout.stateFile, { ...state, complete: true });
  return summary(layout, "created", began, before);
}

/** `docker swarm init` on node 1, `join` on the others, labels for the pinned services on node 1. */
async function formSwarm(
  layout: ClusterLayout,
  pinned: readonly string[],
  info: (line: string) => void,
): Promise<void> {
  const [manager, ...workers] = layout.nodes;
  if (!manager) return;
  info(`forming the swarm: ${manager.name} manages`);
  await command(
    [
      "docker",
      "--host",
      manager.engine,
      "swarm",
      "init",
      "--advertise-addr",
      manager.address,
      "--listen-addr",
      `${manager.address}:2377`,
    ],
    `swarm init on ${manager.name}`,
  );
  const token = (await command(
    ["docker", "--host", manager.engine, "swarm", "join-token", "--quiet", "worker"],
    "reading the join token",
  )).trim();
  for (const worker of workers) {
    // the token travels on the command line of a local docker process only (the node's own socket)
    await command(
      [
        "docker",
        "--host",
        worker.engine,
        "swarm",
        "join",
        "--token",
        token,
        "--advertise-addr",
        worker.address,
        `${manager.address}:2377`,
      ],
      `${worker.name} joining the swarm`,
    );
  }
  if (pinned.length) {
    info(`pinning ${pinned.join(", ")} to ${manager.name}`);
    await command(
      [
        "docker",
        "--host",
        manager.engine,
        "node",
        "update",
        ...pinned.flatMap((service) => ["--label-add", `${placementLabel(service)}=true`]),
        manager.name,
      ],
      `labelling ${manager.name}`,
    );
  }
}

/**
 * Refuses a cluster network this host already routes through another link
 * (another environment's cluster, a Docker bridge): its addresses would clash.
 * @throws {UsageError} naming the link and the setting that changes it.
 */
async function refuseSubnetInUse(layout: ClusterLayout): Promise<void> {
  const routes = (await tryCommand(["ip", "-o", "route", "show", "match", `${layout.prefix}.1/32`]))
    .stdout;
  for (const line of routes.split("\n")) {
    const dev = /\bdev (\S+)/.exec(line)?.[1];
    if (!line.startsWith("default") && dev && dev !== layout.hostLink) {
      throw new UsageError(
        `the cluster network ${layout.prefix}.0/24 is already routed through ${dev} on this host`,
        `choose another /24 with swarm.subnet in the environment file (e.g. 192.168.${
          (Number(layout.prefix.split(".")[2]) + 1) % 256
        }.0/24)`,
      );
    }
  }
}

/** Whether every node's engine answers and the manager sees all of them ready. */
async function swarmReady(layout: ClusterLayout): Promise<boolean> {
  const manager = layout.nodes[0];
  if (!manager) return false;
  const listed = await tryCommand(
    ["docker", "--host", manager.engine, "node", "ls", "--format", "{{.Hostname}} {{.Status}}"],
    { timeoutMs: 10_000 },
  ).catch(() => null);
  if (!listed || listed.code !== 0) return false;
  const ready = listed.stdout.split("\n").filter((l) => l.endsWith(" Ready")).length;
  return ready === layout.nodes.length;
}

async function summary(
  layout: ClusterLayout,
  action: string,
  began: number,
  before: string,
): Promise<ClusterSummary> {
  const after = await ipForward();
  if (after !== before) {
    throw new FailedError(
      `net.ipv4.ip_forward of this host changed from ${before} to ${after} while the cluster was made`,
      { hint: `sysctl -w net.ipv4.ip_forward=${before}, then ./ops cluster:destroy` },
    );
  }
  return {
    environment: layout.environment,
    action,
    nodes: layout.nodes.map((n) => ({
      name: n.name,
      address: n.address,
      engine: n.engine,
      role: n.index === 1 ? "manager" : "worker",
    })),
    durationMs: Math.round(performance.now() - began),
    ipForward: { before, after },
  };
}
