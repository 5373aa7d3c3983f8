import type { ProcessInfo } from "./runtime.ts";
import type { SwarmTask } from "./swarm_tasks.ts";

/** What {@link swarmProcessInfo} reads. */
export interface SwarmView {
  tasks: readonly SwarmTask[];
  desired: ReadonlyMap<string, number>;
}

/**
 * The process state of one service of a stack: no container and no desired
 * replica → stopped; desired replicas but none running → starting (the swarm
 * is placing or replacing them); otherwise running, with replicas running of
 * desired, their nodes, and the health verdict of their container checks.
 */
export function swarmProcessInfo(service: string, view: SwarmView): ProcessInfo {
  const own = view.tasks.filter((t) => t.service === service).sort((a, b) =>
    a.node.name.localeCompare(b.node.name)
  );
  const desired = view.desired.get(service) ?? 0;
  if (own.length === 0) {
    if (desired === 0) return { state: "stopped", pid: null, startedAt: null };
    return {
      state: "starting",
      pid: null,
      startedAt: null,
      replicas: 0,
      desiredReplicas: desired,
      nodes: [],
      reason: `0 of ${desired} replicas running`,
      health: { healthy: false, detail: `0/${desired} replicas running` },
    };
  }
  const healthy = own.filter((t) => t.health === "healthy" || t.health === "");
  const nodes = [...new Set(own.map((t) => t.node.name))];
  const failing = own.find((t) => t.health !== "healthy" && t.health !== "");
  const allHealthy = healthy.length >= Math.max(desired, 1) && !failing;
  const detail = `${healthy.length}/${desired} replicas healthy on ${nodes.join(", ")}${
    failing
      ? `; ${failing.node.name}: ${failing.health}${
        failing.lastCheck ? ` (${failing.lastCheck})` : ""
      }`
      : ""
  }`;
  return {
    state: own.every((t) => t.health === "starting") ? "starting" : "running",
    pid: own[0]!.pid,
    startedAt: own[0]!.startedAt,
    replicas: own.length,
    desiredReplicas: desired,
    nodes,
    health: { healthy: allHealthy, detail },
  };
}
