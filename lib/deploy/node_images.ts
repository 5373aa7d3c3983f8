import { type DockerCli, runDocker } from "../runtime/docker_cli.ts";
import { at } from "../runtime/swarm_engines.ts";
import type { NodeEngine } from "../runtime/swarm_images.ts";

/**
 * Gives `ref` to the image `id` on every node that already holds that image
 * under another reference (a tag is a name, not a copy), so only nodes
 * without it need `docker save | docker load`. Returns the nodes tagged.
 */
export async function tagWhereLoaded(
  cli: DockerCli,
  nodes: readonly NodeEngine[],
  id: string,
  ref: string,
): Promise<string[]> {
  const tagged = await Promise.all(nodes.map(async (node) => {
    const held = await runDocker(cli, at(node, "image", "inspect", "--format", "{{.Id}}", id));
    if (held.code !== 0 || held.stdout.trim() !== id) return undefined;
    const tag = await runDocker(cli, at(node, "tag", id, ref));
    return tag.code === 0 ? node.name : undefined;
  }));
  return tagged.filter((n): n is string => n !== undefined);
}
