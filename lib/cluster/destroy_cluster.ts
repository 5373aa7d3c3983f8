import type { Environment } from "../config/mod.ts";
import { type ClusterLayout, clusterLayout } from "./cluster_layout.ts";
import {
  ipForward,
  linkExists,
  networkNamespaces,
  removeClusterNetwork,
  setIpForward,
} from "./cluster_network.ts";
import { readClusterState } from "./cluster_state.ts";
import { stopNodeDaemon } from "./node_daemon.ts";
import { tryCommand } from "./system_command.ts";
import { swarmStateDir } from "../runtime/swarm_stack.ts";

/** The outcome of {@link destroyCluster}. */
export interface ClusterRemoval {
  environment: string;
  /** `removed`, or `nothing to remove`. */
  action: string;
  /** What was found and removed: daemons, namespaces, links, mounts, folders. */
  removed: string[];
  /** `net.ipv4.ip_forward` of this host afterwards (put back to its recorded value). */
  ipForward: string;
  durationMs: number;
}

/**
 * Removes an environment's local cluster: stops its daemons (and kills what
 * is left in their namespaces), unmounts what lies under its folders,
 * deletes its namespaces and host link, removes its folders and puts this
 * host's IP forwarding back as recorded. Works from the recorded state and
 * from what it finds (namespaces and folders named after the environment),
 * so it is safe after a crash and idempotent.
 */
export async function destroyCluster(
  environment: Environment,
  _options: { quiet?: boolean } = {},
): Promise<ClusterRemoval> {
  const began = performance.now();
  const recorded = await readClusterState(clusterLayout(environment, 0).stateFile);
  const namespaces = await networkNamespaces();
  const layout = clusterLayout(
    environment,
    await nodeCount(environment, namespaces, recorded?.nodes),
  );
  const removed: string[] = [];
  const present = new Set(namespaces);
  // in parallel: a swarm daemon takes seconds to stop
  await Promise.all(layout.nodes.map(async (node) => {
    if (!(await exists(node.pidFile) || present.has(node.netns))) return;
    await stopNodeDaemon(node, present.has(node.netns));
    removed.push(`daemon ${node.name}`);
  }));
  for (const target of await mountsUnder([layout.runDir, layout.stateDir])) {
    await tryCommand(["umount", "-l", target]);
    removed.push(`mount ${target}`);
  }
  const nodeNamespaces = layout.nodes.map((n) => n.netns).filter((n) => present.has(n));
  const hubPresent = present.has(layout.hubNetns);
  const linkPresent = await linkExists(layout.hostLink);
  await removeClusterNetwork(layout, nodeNamespaces);
  removed.push(...nodeNamespaces.map((n) => `namespace ${n}`));
  if (hubPresent) removed.push(`namespace ${layout.hubNetns}`);
  if (linkPresent) removed.push(`link ${layout.hostLink}`);
  for (const folder of [layout.runDir, layout.stateDir, swarmStateDir(environment)]) {
    if (await exists(folder)) {
      await Deno.remove(folder, { recursive: true });
      removed.push(`folder ${folder}`);
    }
  }
  let forward = await ipForward();
  if (recorded && forward !== recorded.ipForwardBefore) {
    await setIpForward(recorded.ipForwardBefore);
    removed.push(`ip_forward ${forward} -> ${recorded.ipForwardBefore}`);
    forward = await ipForward();
  }
  return {
    environment: environment.name,
    action: removed.length ? "removed" : "nothing to remove",
    removed,
    ipForward: forward,
    durationMs: Math.round(performance.now() - began),
  };
}

/** The most nodes recorded or found (namespaces and run folders named after the environment). */
async function nodeCount(
  environment: Environment,
  namespaces: readonly string[],
  recorded: number | undefined,
): Promise<number> {
  let count = recorded ?? 0;
  const pattern = new RegExp(`^hailmary-${environment.name}-node(\\d+)$`);
  for (const name of namespaces) {
    const m = pattern.exec(name);
    if (m) count = Math.max(count, Number(m[1]));
  }
  const layout: ClusterLayout = clusterLayout(environment, 0);
  for (const root of [layout.runDir, layout.stateDir]) {
    try {
      for await (const entry of Deno.readDir(root)) {
        const m = /^node(\d+)$/.exec(entry.name);
        if (m) count = Math.max(count, Number(m[1]));
      }
    } catch {
      // not there
    }
  }
  return count;
}

/** Mount points of this namespace under any of `roots`, deepest first. */
async function mountsUnder(roots: readonly string[]): Promise<string[]> {
  // findmnt -r escapes blanks as \x20: none of these roots has any
  const table =
    (await tryCommand(["findmnt", "--raw", "--noheadings", "--output", "TARGET"])).stdout;
  const targets = table.split("\n").map((t) => t.trim()).filter((t) =>
    roots.some((root) => t === root || t.startsWith(root + "/"))
  );
  return [...new Set(targets)].sort((a, b) => b.length - a.length);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}
