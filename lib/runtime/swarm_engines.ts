import type { Environment } from "../config/mod.ts";
import { UsageError } from "../errors.ts";
import { clusterLayout } from "../cluster/cluster_layout.ts";
import { readClusterState } from "../cluster/cluster_state.ts";
import type { NodeEngine } from "./swarm_images.ts";
import { environmentArgument } from "../config/environment_argument.ts";

/** How the swarm runtime reaches a cluster: the manager's engine and every node's. */
export interface SwarmEngines {
  manager: NodeEngine;
  nodes: NodeEngine[];
}

/**
 * The engines of an environment's cluster: `swarm.nodes` of its file (a real
 * cluster: `ssh://` or `tcp://` engines, the first one a manager), else the
 * local cluster `./ops cluster:create` recorded (the nodes' sockets).
 * @throws {UsageError} when neither exists.
 */
export async function swarmEngines(environment: Environment): Promise<SwarmEngines> {
  const listed = environment.swarm?.nodes;
  if (listed?.length) {
    const nodes = listed.map((n) => ({ name: n.name, engine: n.engine }));
    return { manager: nodes[0]!, nodes };
  }
  const state = await readClusterState(clusterLayout(environment, 0).stateFile);
  if (!state?.complete) {
    throw new UsageError(
      `environment ${
        JSON.stringify(environment.name)
      } runs on a swarm, and no cluster is there: it names no nodes (swarm.nodes) and no local cluster was made`,
      `make one with ./ops cluster:create --nodes 3 --env ${environmentArgument(environment)}`,
    );
  }
  const nodes = clusterLayout(environment, state.nodes).nodes.map((n) => ({
    name: n.name,
    engine: n.engine,
  }));
  return { manager: nodes[0]!, nodes };
}

/** The `docker` arguments that aim a command at one engine. */
export function at(engine: NodeEngine, ...args: string[]): string[] {
  return ["--host", engine.engine, ...args];
}
