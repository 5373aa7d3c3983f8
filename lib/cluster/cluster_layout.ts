import { join } from "../posix_path.ts";
import type { Environment } from "../config/mod.ts";

/** One Docker daemon of the local cluster: its network namespace, address and folders. */
export interface ClusterNode {
  /** 1-based position; node 1 is the manager. */
  index: number;
  /** Swarm node name (the daemon's host name): `<env>-node<i>`. */
  name: string;
  /** Network namespace (`ip netns`) the daemon lives in. */
  netns: string;
  /** Its address on the cluster network. */
  address: string;
  /** Interface name of its link on the hub bridge. */
  hubLink: string;
  /** Folder of its socket, pid file and exec root (under /run: sockets need short paths). */
  runDir: string;
  /** The engine's socket. */
  socket: string;
  /** `DOCKER_HOST` value reaching the engine. */
  engine: string;
  /** `--data-root`: images, containers and swarm state. */
  dataRoot: string;
  /** `--exec-root`. */
  execRoot: string;
  pidFile: string;
  logFile: string;
}

/** Where everything of one environment's local cluster lives. */
export interface ClusterLayout {
  environment: string;
  /** Namespace holding the bridge every node's link is attached to. */
  hubNetns: string;
  /** Link from this host's namespace to the bridge (the host reaches the nodes through it). */
  hostLink: string;
  /** This host's address on the cluster network. */
  hostAddress: string;
  /** `a.b.c` of the /24. */
  prefix: string;
  /** `/run/hailmary/<env>`. */
  runDir: string;
  /** `<stateDir>/cluster`. */
  stateDir: string;
  /** `<stateDir>/cluster/cluster.json`. */
  stateFile: string;
  nodes: ClusterNode[];
}

/** The default network of a local cluster. */
export const defaultClusterSubnet = "192.168.213.0/24";

/** The most nodes a local cluster may have (addresses .2 to .(n+1), host at .254). */
export const maxClusterNodes = 9;

/** The layout of an environment's local cluster with `count` nodes. */
export function clusterLayout(environment: Environment, count: number): ClusterLayout {
  const subnet = environment.swarm?.subnet ?? defaultClusterSubnet;
  const prefix = subnet.replace(/\.0\/24$/, "");
  const env = environment.name;
  const runDir = join("/run/hailmary", env);
  const stateDir = join(environment.stateDir, "cluster");
  const nodes: ClusterNode[] = [];
  for (let index = 1; index <= count; index++) {
    const nodeRun = join(runDir, `node${index}`);
    const nodeState = join(stateDir, `node${index}`);
    nodes.push({
      index,
      name: `${env}-node${index}`,
      netns: `hailmary-${env}-node${index}`,
      address: `${prefix}.${index + 1}`,
      hubLink: `node${index}`,
      runDir: nodeRun,
      socket: join(nodeRun, "docker.sock"),
      engine: `unix://${join(nodeRun, "docker.sock")}`,
      dataRoot: join(nodeState, "docker"),
      execRoot: join(nodeRun, "x"),
      pidFile: join(nodeRun, "dockerd.pid"),
      logFile: join(nodeState, "dockerd.log"),
    });
  }
  return {
    environment: env,
    hubNetns: `hailmary-${env}-hub`,
    hostLink: hostLinkName(env),
    hostAddress: `${prefix}.254`,
    prefix,
    runDir,
    stateDir,
    stateFile: join(stateDir, "cluster.json"),
    nodes,
  };
}

/** `hm-<env>`, or `hm-` and a hash of the name when that would pass Linux's 15 characters. */
function hostLinkName(env: string): string {
  const name = `hm-${env}`;
  if (name.length <= 15) return name;
  let hash = 0;
  for (const c of env) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  return `hm-${hash.toString(36)}`.slice(0, 15);
}
