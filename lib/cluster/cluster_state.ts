import { dirname } from "../posix_path.ts";

/** What `cluster:create` recorded, so `cluster:destroy` can undo it after a crash. */
export interface ClusterState {
  environment: string;
  /** Number of nodes asked for. */
  nodes: number;
  /** `/24` of the cluster network. */
  subnet: string;
  /** `net.ipv4.ip_forward` of this host's namespace before the cluster was made. */
  ipForwardBefore: string;
  createdAt: string;
  /** True once every daemon answered and the swarm was formed. */
  complete: boolean;
}

/** The recorded state, or null when there is none (or it is unreadable). */
export async function readClusterState(file: string): Promise<ClusterState | null> {
  try {
    return JSON.parse(await Deno.readTextFile(file)) as ClusterState;
  } catch {
    return null;
  }
}

/** Writes the state atomically (temp file, then rename). */
export async function writeClusterState(file: string, state: ClusterState): Promise<void> {
  await Deno.mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(temp, JSON.stringify(state, null, 2) + "\n");
  await Deno.rename(temp, file);
}
