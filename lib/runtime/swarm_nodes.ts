import { type DockerCli, dockerOutput } from "./docker_cli.ts";
import { at } from "./swarm_engines.ts";
import type { NodeEngine } from "./swarm_images.ts";

/** A node of the swarm as its manager sees it. */
export interface SwarmNode {
  id: string;
  name: string;
  address: string;
  /** `manager` or `worker`. */
  role: string;
  /** `active`, `pause` or `drain`. */
  availability: string;
  /** `ready`, `down`, `unknown`. */
  state: string;
  leader: boolean;
  labels: Record<string, string>;
}

interface NodeInspect {
  ID?: string;
  Description?: { Hostname?: string };
  Spec?: { Role?: string; Availability?: string; Labels?: Record<string, string> | null };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Addr?: string } | null;
}

/** Every node of the swarm (one `node ls`, one `node inspect` on the manager). */
export async function readSwarmNodes(cli: DockerCli, manager: NodeEngine): Promise<SwarmNode[]> {
  const ids = (await dockerOutput(cli, at(manager, "node", "ls", "--quiet"), "listing the nodes"))
    .split("\n").map((l) => l.trim()).filter((l) => l);
  if (!ids.length) return [];
  const inspected = JSON.parse(
    await dockerOutput(cli, at(manager, "node", "inspect", ...ids), "inspecting the nodes"),
  ) as NodeInspect[];
  return inspected.map((n) => ({
    id: n.ID ?? "",
    name: n.Description?.Hostname ?? "",
    // a manager's own Status.Addr may read 0.0.0.0 or 127.0.0.1; its advertised address is in ManagerStatus
    address: managerAddress(n) ?? n.Status?.Addr ?? "",
    role: n.Spec?.Role ?? "",
    availability: n.Spec?.Availability ?? "",
    state: n.Status?.State ?? "",
    leader: n.ManagerStatus?.Leader ?? false,
    labels: n.Spec?.Labels ?? {},
  })).sort((a, b) => a.name.localeCompare(b.name));
}

function managerAddress(n: NodeInspect): string | undefined {
  const addr = n.Status?.Addr;
  if (addr && addr !== "0.0.0.0" && addr !== "127.0.0.1") return undefined;
  return n.ManagerStatus?.Addr?.replace(/:\d+$/, "");
}
