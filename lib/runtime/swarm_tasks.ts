import { type DockerCli, runDocker } from "./docker_cli.ts";
import { at } from "./swarm_engines.ts";
import type { NodeEngine } from "./swarm_images.ts";

/** A running container of a stack's service on one node. */
export interface SwarmTask {
  /** The service name in the environment (`web`), without the stack prefix. */
  service: string;
  taskId: string;
  containerId: string;
  /** The node (engine) it runs on. */
  node: NodeEngine;
  /** The container health check's verdict (`healthy`, `starting`, `unhealthy`; empty without one). */
  health: string;
  /** Host pid of its main process (on a local cluster, this machine's). */
  pid: number | null;
  startedAt: string | null;
  lastCheck: string | null;
}

interface ContainerInspect {
  Id?: string;
  State?: {
    Pid?: number;
    StartedAt?: string;
    Health?: { Status?: string; Log?: { Output?: string }[] | null } | null;
  };
  Config?: { Labels?: Record<string, string> | null };
}

/**
 * The running containers of a stack on every node (one `ps` and one
 * `inspect` per node, in parallel). A node whose engine does not answer
 * contributes none (its tasks are the manager's to replace).
 */
export async function readSwarmTasks(
  cli: DockerCli,
  nodes: readonly NodeEngine[],
  stack: string,
): Promise<SwarmTask[]> {
  const perNode = await Promise.all(nodes.map(async (node) => {
    const ps = await runDocker(
      cli,
      at(
        node,
        "ps",
        "--quiet",
        "--no-trunc",
        "--filter",
        `label=com.docker.stack.namespace=${stack}`,
      ),
    ).catch(() => null);
    if (!ps || ps.code !== 0) return [];
    const ids = ps.stdout.split("\n").map((l) => l.trim()).filter((l) => l);
    if (!ids.length) return [];
    const inspected = await runDocker(cli, at(node, "inspect", ...ids)).catch(() => null);
    // a container that went away between the two reads: read the node again next time
    if (!inspected || inspected.code !== 0) return [];
    return (JSON.parse(inspected.stdout) as ContainerInspect[]).map((c): SwarmTask => {
      const labels = c.Config?.Labels ?? {};
      const log = c.State?.Health?.Log ?? [];
      const last = log.length ? log[log.length - 1]?.Output?.trim() : undefined;
      return {
        service: (labels["com.docker.swarm.service.name"] ?? "").replace(`${stack}_`, ""),
        taskId: labels["com.docker.swarm.task.id"] ?? "",
        containerId: c.Id ?? "",
        node,
        health: c.State?.Health?.Status ?? "",
        pid: c.State?.Pid || null,
        startedAt: c.State?.StartedAt ? new Date(c.State.StartedAt).toISOString() : null,
        lastCheck: last ? last.split("\n").slice(-2).join(" ").slice(0, 200) : null,
      };
    });
  }));
  return perNode.flat();
}

/** Desired replicas of each service of a stack, from the manager (`service ls`). */
export async function readDesiredReplicas(
  cli: DockerCli,
  manager: NodeEngine,
  stack: string,
): Promise<Map<string, number>> {
  const result = await runDocker(
    cli,
    at(
      manager,
      "service",
      "ls",
      "--filter",
      `label=com.docker.stack.namespace=${stack}`,
      "--format",
      "{{.Name}}\t{{.Replicas}}",
    ),
  );
  const desired = new Map<string, number>();
  if (result.code !== 0) return desired;
  for (const line of result.stdout.split("\n")) {
    const [name, replicas] = line.split("\t");
    const m = /^\d+\/(\d+)/.exec(replicas ?? "");
    if (name && m) desired.set(name.replace(`${stack}_`, ""), Number(m[1]));
  }
  return desired;
}
