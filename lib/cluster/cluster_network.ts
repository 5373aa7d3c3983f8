import type { ClusterLayout, ClusterNode } from "./cluster_layout.ts";
import { command, tryCommand } from "./system_command.ts";

/** The network namespaces that exist now (`ip netns list`). */
export async function networkNamespaces(): Promise<string[]> {
  const out = (await tryCommand(["ip", "netns", "list"])).stdout;
  return out.split("\n").map((l) => l.trim().split(/\s+/)[0] ?? "").filter((n) => n !== "");
}

/** Whether a link of this host's namespace exists. */
export async function linkExists(name: string): Promise<boolean> {
  return (await tryCommand(["ip", "link", "show", "dev", name])).code === 0;
}

/**
 * Makes the hub namespace with its bridge, and the link from this host's
 * namespace to it with the host's address: the host reaches the nodes on
 * their /24 without routing (no IP forwarding anywhere in this namespace).
 */
export async function createHub(layout: ClusterLayout): Promise<void> {
  const hub = layout.hubNetns;
  await command(["ip", "netns", "add", hub], `creating the namespace ${hub}`);
  await command(["ip", "-n", hub, "link", "set", "lo", "up"], "raising lo in the hub");
  await command(
    ["ip", "-n", hub, "link", "add", "br0", "type", "bridge"],
    "creating the cluster bridge",
  );
  await command(["ip", "-n", hub, "link", "set", "br0", "up"], "raising the cluster bridge");
  await command(
    [
      "ip",
      "link",
      "add",
      layout.hostLink,
      "type",
      "veth",
      "peer",
      "name",
      "host",
      "netns",
      hub,
    ],
    `creating the link ${layout.hostLink}`,
  );
  await command(["ip", "-n", hub, "link", "set", "host", "master", "br0", "up"], "attaching host");
  await command(
    ["ip", "addr", "add", `${layout.hostAddress}/24`, "dev", layout.hostLink],
    `addressing ${layout.hostLink}`,
  );
  await command(["ip", "link", "set", layout.hostLink, "up"], `raising ${layout.hostLink}`);
}

/** Makes a node's namespace and its link to the hub bridge, with its address. */
export async function createNodeNetwork(layout: ClusterLayout, node: ClusterNode): Promise<void> {
  const hub = layout.hubNetns;
  await command(["ip", "netns", "add", node.netns], `creating the namespace ${node.netns}`);
  await command(
    [
      "ip",
      "-n",
      hub,
      "link",
      "add",
      node.hubLink,
      "type",
      "veth",
      "peer",
      "name",
      "eth0",
      "netns",
      node.netns,
    ],
    `linking ${node.name} to the hub`,
  );
  await command(
    ["ip", "-n", hub, "link", "set", node.hubLink, "master", "br0", "up"],
    `attaching ${node.name}`,
  );
  await command(
    ["ip", "-n", node.netns, "addr", "add", `${node.address}/24`, "dev", "eth0"],
    `addressing ${node.name}`,
  );
  await command(["ip", "-n", node.netns, "link", "set", "eth0", "up"], `raising ${node.name}`);
  await command(["ip", "-n", node.netns, "link", "set", "lo", "up"], `raising lo of ${node.name}`);
}

/** Removes the namespaces and the host link of a cluster, whichever of them exist. */
export async function removeClusterNetwork(
  layout: ClusterLayout,
  nodeNamespaces: readonly string[],
): Promise<void> {
  const present = new Set(await networkNamespaces());
  for (const netns of [...nodeNamespaces, layout.hubNetns]) {
    if (present.has(netns)) await command(["ip", "netns", "delete", netns], `removing ${netns}`);
  }
  // deleting the hub took the link's peer, and so the link; a link left by a crash goes here
  if (await linkExists(layout.hostLink)) {
    await command(["ip", "link", "delete", layout.hostLink], `removing ${layout.hostLink}`);
  }
}

/** `net.ipv4.ip_forward` of this host's namespace. */
export async function ipForward(): Promise<string> {
  return (await command(["sysctl", "-n", "net.ipv4.ip_forward"], "reading net.ipv4.ip_forward"))
    .trim();
}

/** Sets `net.ipv4.ip_forward` of this host's namespace. */
export async function setIpForward(value: string): Promise<void> {
  await command(
    ["sysctl", "-q", "-w", `net.ipv4.ip_forward=${value}`],
    "restoring net.ipv4.ip_forward",
  );
}
