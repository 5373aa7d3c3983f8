import type { Output } from "../output/output.ts";
import { type DockerCli, dockerOutput, imageId, runDocker } from "../runtime/docker_cli.ts";

/** What became of the image a rebuild replaced under the same name. */
export type ReplacedImage =
  | { outcome: "none" }
  | { outcome: "removed"; id: string }
  | { outcome: "kept"; id: string; reason: string };

/**
 * Removes the image a rebuild left without a name (`previousId`, what `ref`
 * named before the build), so every `./ops setup --rebuild` does not leave
 * an untagged image of hundreds of MB behind. It is kept when another tag
 * still names it (a deployed version), when a release of the environment
 * names it (a rollback goes back to it by id), or when a container was made
 * from it (docker refuses; nothing is forced).
 */
export async function removeReplacedImage(
  cli: DockerCli,
  output: Output,
  ref: string,
  previousId: string | undefined,
  releaseImageIds: ReadonlySet<string>,
): Promise<ReplacedImage> {
  if (!previousId || previousId === await imageId(cli, ref)) return { outcome: "none" };
  const tags = JSON.parse(
    (await dockerOutput(
      cli,
      ["image", "inspect", "--format", "{{json .RepoTags}}", previousId],
      `reading the image ${ref} replaced`,
    )).trim() || "[]",
  ) as string[] | null;
  const short = previousId.replace(/^sha256:/, "").slice(0, 12);
  const kept = (reason: string): ReplacedImage => {
    output.info(`kept the image ${ref} replaced (${short}): ${reason}`);
    return { outcome: "kept", id: previousId, reason };
  };
  if (tags?.length) return kept(`still named ${tags.join(", ")}`);
  if (releaseImageIds.has(previousId)) {
    return kept("a release names it (a rollback may go back to it)");
  }
  const removal = await runDocker(cli, ["image", "rm", previousId]);
  if (removal.code !== 0) {
    const said = removal.stderr.trim().split("\n").pop()?.replace(
      /^Error response from daemon: /,
      "",
    );
    const container = said?.match(/being used by (?:stopped |running )?container (\w+)/)?.[1];
    return kept(
      container ? `the container ${container} was made from it` : said || "docker refused",
    );
  }
  output.info(`removed the image ${ref} replaced (${short})`);
  return { outcome: "removed", id: previousId };
}

/** Every image id the releases name (what ran, and what each release replaced). */
export function releaseImageIds(
  releases: readonly { imageId?: string; previousImageId?: string }[],
): Set<string> {
  return new Set(
    releases.flatMap((r) => [r.imageId, r.previousImageId]).filter((id): id is string => !!id),
  );
}
