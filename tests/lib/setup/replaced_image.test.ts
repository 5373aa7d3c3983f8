import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Output } from "../../../lib/output/output.ts";
import { type DockerCli, imageId } from "../../../lib/runtime/docker_cli.ts";
import { ensureDockerDaemon } from "../../../lib/setup/compose_requirements.ts";
import { removeReplacedImage } from "../../../lib/setup/replaced_image.ts";
import { dockerText } from "../../helpers/docker_text.ts";

// The image a rebuild replaced, on a real Docker Engine: tiny images FROM scratch, built offline.
const cli: DockerCli = { program: "docker", env: {} };
const output = new Output({ mode: "plain" });
const ref = `hailmary-test/replaced-${Date.now().toString(36)}:latest`;
const named = ref.replace(/:latest$/, ":deployed");
let dir = "";
let round = 0;
const containers: string[] = [];

/** Builds `ref` again with new content and returns [previous id, new id]. */
async function rebuild(): Promise<[string | undefined, string]> {
  const previous = await imageId(cli, ref);
  await Deno.writeTextFile(join(dir, "content"), `round ${++round}\n`);
  await dockerText(["build", "--network", "none", "--quiet", "--tag", ref, dir]);
  return [previous, (await imageId(cli, ref))!];
}

beforeAll(async () => {
  // as ./ops setup does for a compose environment, on a machine where no daemon runs yet
  await ensureDockerDaemon(output);
  dir = await Deno.makeTempDir({ prefix: "hailmary-replaced-" });
  await Deno.writeTextFile(join(dir, "Dockerfile"), "FROM scratch\nCOPY content /content\n");
});
afterAll(async () => {
  for (const id of containers) await dockerText(["rm", "-f", id]).catch(() => {});
  await dockerText(["image", "rm", "-f", ref, named]).catch(() => {});
  await Deno.remove(dir, { recursive: true });
});

describe("the image a rebuild replaced", () => {
  it("is removed once nothing names it, and nothing happens on a first build", async () => {
    const [none, first] = await rebuild();
    expect(await removeReplacedImage(cli, output, ref, none, new Set())).toEqual({
      outcome: "none",
    });
    const [previous, next] = await rebuild();
    expect(previous).toBe(first);
    expect(next).not.toBe(first);
    expect(await removeReplacedImage(cli, output, ref, previous, new Set()))
      .toEqual({ outcome: "removed", id: first });
    expect(await imageId(cli, first)).toBeUndefined();
    expect(await imageId(cli, ref)).toBe(next);
  });

  it("is kept while another tag names it, a release names it or a container was made from it", async () => {
    await dockerText(["tag", ref, named]);
    const [tagged] = await rebuild();
    expect(await removeReplacedImage(cli, output, ref, tagged, new Set())).toMatchObject({
      outcome: "kept",
      reason: `still named ${named}`,
    });
    const [released] = await rebuild();
    expect(await removeReplacedImage(cli, output, ref, released, new Set([released!])))
      .toMatchObject({ outcome: "kept", reason: expect.stringMatching(/a release names it/) });
    expect(await imageId(cli, released!)).toBe(released);
    containers.push((await dockerText(["create", "--entrypoint", "/content", ref])).trim());
    const [used] = await rebuild();
    const outcome = await removeReplacedImage(cli, output, ref, used, new Set());
    expect(outcome).toMatchObject({
      outcome: "kept",
      reason: `the container ${containers[0]!.slice(0, 12)} was made from it`,
    });
    expect(await imageId(cli, used!)).toBe(used);
    // what the test made: the released and used images, untagged now
    await dockerText(["rm", "-f", ...containers.splice(0)]);
    await dockerText(["image", "rm", released!, used!]);
  });
});
