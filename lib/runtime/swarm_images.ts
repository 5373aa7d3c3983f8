import { FailedError } from "../errors.ts";
import { lastLines } from "./docker_cli.ts";

/** A node's engine, by its swarm name. */
export interface NodeEngine {
  name: string;
  /** `DOCKER_HOST` value: `unix:///...sock`, `ssh://user@host`. */
  engine: string;
}

/** What {@link moveImages} did on one node. */
export interface ImageMove {
  node: string;
  /** Images loaded; those already there (same id) are skipped. */
  loaded: string[];
  durationMs: number;
}

async function imageId(image: string, engine?: string): Promise<string | null> {
  const output = await new Deno.Command("docker", {
    args: [...(engine ? ["--host", engine] : []), "image", "inspect", "--format", "{{.Id}}", image],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  return output.success ? new TextDecoder().decode(output.stdout).trim() : null;
}

/**
 * Gets images from this host's Docker engine (the one `./ops setup` builds
 * them in) onto nodes with `docker save | docker load`: no registry is asked.
 * Images a node already has with the same id are skipped; nodes load in parallel.
 * @throws {FailedError} when an image is not on this host, or a load fails.
 */
export async function moveImages(
  nodes: readonly NodeEngine[],
  images: readonly string[],
  signal?: AbortSignal,
): Promise<ImageMove[]> {
  const ids = new Map<string, string>();
  for (const image of images) {
    const id = await imageId(image);
    if (!id) {
      throw new FailedError(`the image ${image} is not in this host's Docker engine`, {
        hint:
          "build it with ./ops setup --env <this environment> (the nodes get it from this host)",
      });
    }
    ids.set(image, id);
  }
  return await Promise.all(nodes.map(async (node) => {
    const began = performance.now();
    const missing: string[] = [];
    for (const image of images) {
      if (await imageId(image, node.engine) !== ids.get(image)) missing.push(image);
    }
    if (missing.length) await saveLoad(node, missing, signal);
    return { node: node.name, loaded: missing, durationMs: Math.round(performance.now() - began) };
  }));
}

async function saveLoad(node: NodeEngine, images: string[], signal?: AbortSignal): Promise<void> {
  const save = new Deno.Command("docker", {
    args: ["save", ...images],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    ...(signal ? { signal } : {}),
  }).spawn();
  const load = new Deno.Command("docker", {
    args: ["--host", node.engine, "load", "--quiet"],
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
    ...(signal ? { signal } : {}),
  }).spawn();
  const piped = save.stdout.pipeTo(load.stdin).catch(() => {});
  const saveErrors = new Response(save.stderr).text();
  const loadErrors = new Response(load.stderr).text();
  const [saved, loaded] = await Promise.all([save.status, load.status, piped]);
  if (!saved.success || !loaded.success) {
    const stderr = saved.success ? await loadErrors : await saveErrors;
    throw new FailedError(
      `moving ${images.join(", ")} to ${node.name} failed: ${lastLines(stderr, 4)}`,
    );
  }
}
