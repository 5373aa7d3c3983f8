/**
 * `deploy`, `rollback` and `releases` on the compose runtime, on a real
 * Docker Engine: postgres, redis, opensearch and web of the staging compose
 * files on free ports; web deployed from this checkout (its image built and
 * tagged with the commit), then an image whose health check never passes
 * (put back automatically), then rolled back to the image it ran first. The
 * stack's images carry a tag of their own (HAILMARY_IMAGE_TAG), so the
 * images other stacks on this host run are never touched.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { stringify } from "yaml";
import type { Release } from "../../lib/deploy/release_log.ts";
import { dockerText } from "../helpers/docker_text.ts";
import { freePort, ops, opsOk, type OpsRun } from "../helpers/test_stack.ts";

const suffix = Date.now().toString(36);
const project = `hailmary-deploy-${suffix}`;
const tag = `deploy-it-${suffix}`;
const broken = `hailmary-it-unhealthy:${suffix}`;
const webPort = freePort();
const variables = {
  HAILMARY_IT_POSTGRES_PASSWORD: "it-pg-Secret-2",
  HAILMARY_IT_REDIS_PASSWORD: "it-redis-Secret-2",
  HAILMARY_IMAGE_TAG: tag,
};
let dir = "";
let file = "";

function run(args: string[], expected = 0): Promise<OpsRun> {
  return opsOk(file, args, expected, { env: variables, timeoutMs: 900_000 });
}

/** The image id web's running container was created from. */
async function webImage(): Promise<string> {
  const id = await dockerText([
    "ps",
    "-q",
    "--filter",
    `label=com.docker.compose.project=${project}`,
    "--filter",
    "label=com.docker.compose.service=web",
  ]);
  return await dockerText(["inspect", "--format", "{{.Image}}", id]);
}

async function webHealthy(): Promise<boolean> {
  const response = await fetch(`http://127.0.0.1:${webPort}/health`, {
    signal: AbortSignal.timeout(10_000),
  });
  await response.arrayBuffer();
  return response.status === 200;
}

let first: Release;
let original = "";

describe("deploy on the compose runtime", () => {
  beforeAll(async () => {
    dir = await Deno.makeTempDir({ prefix: "hailmary-deploy-it-" });
    await Deno.chmod(dir, 0o755);
    file = join(dir, "deploy-it.yaml");
    await Deno.writeTextFile(
      file,
      stringify({
        name: "deploy-it",
        runtime: "compose",
        stateDir: join(dir, "state"),
        backupDir: join(dir, "backups"),
        compose: { project, files: ["compose.yaml", "environments/compose.staging.yaml"] },
        services: {
          postgres: { port: freePort(), password: "env:HAILMARY_IT_POSTGRES_PASSWORD" },
          redis: { port: freePort(), password: "env:HAILMARY_IT_REDIS_PASSWORD" },
          opensearch: { port: freePort(), transportPort: freePort(), heap: "512m" },
          web: { port: webPort },
        },
      }),
    );
    // this stack's own tag of the host's images (setup builds any that are missing)
    for (const name of ["postgres", "redis", "web"]) {
      await dockerText(["tag", `hailmary/${name}:latest`, `hailmary/${name}:${tag}`]).catch(
        () => {},
      );
    }
    await run(["setup"]);
    // a web image whose health check never passes: the app does not run at all
    await dockerText(
      ["build", "--network", "none", "--tag", broken, "-"],
      `FROM hailmary/web:${tag}\nCMD ["sleep", "3600"]\n`,
    );
    await run(["up"]);
    original = await webImage();
  }, 1_800_000);

  afterAll(async () => {
    if (!file) return;
    await ops(file, ["down"], { env: variables }).catch(() => {});
    for (const volume of ["postgres_data", "redis_data", "opensearch_data"]) {
      await dockerText(["volume", "rm", "-f", `${project}_${volume}`]).catch(() => {});
    }
    const tags = [broken, ...["postgres", "redis", "web"].map((n) => `hailmary/${n}:${tag}`)];
    if (first?.image) tags.push(first.image);
    await dockerText(["rmi", ...tags]).catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }, 300_000);

  it("builds web from the checkout, tagged with the commit, and runs it healthy", async () => {
    const result = JSON.parse((await run(["deploy", "web", "--json"])).stdout) as {
      releases: Release[];
    };
    first = result.releases[0]!;
    expect(first).toMatchObject({ service: "web", action: "deploy", outcome: "succeeded" });
    expect(first.version).toMatch(/^[0-9a-f]{12}(-dirty)?$/);
    expect(first.image).toBe(`hailmary/web:${first.version}`);
    expect(first.previousImageId).toBe(original);
    expect(await dockerText(["image", "inspect", "--format", "{{.Id}}", first.image!])).toBe(
      first.imageId,
    );
    expect(await webImage()).toBe(first.imageId);
    expect(await webHealthy()).toBe(true);
  }, 1_200_000);

  it("puts the previous image back when the new one does not become healthy", async () => {
    const run1 = await run(["deploy", "web", "--image", broken, "--timeout", "20", "--json"], 1);
    const release = (JSON.parse(run1.stdout) as { releases: Release[] }).releases[0]!;
    expect(release.outcome).toBe("failed");
    expect(release.version).toBe(broken);
    expect(release.detail).toContain("did not become healthy on the new image within 20 s");
    expect(release.detail).toContain("the previous image runs again, healthy");
    expect(await webImage()).toBe(first.imageId);
    expect(await webHealthy()).toBe(true);
  }, 600_000);

  it("rolls back to the image web ran before its current release", async () => {
    const result = JSON.parse((await run(["rollback", "web", "--json"])).stdout) as {
      releases: Release[];
    };
    expect(result.releases[0]).toMatchObject({
      action: "rollback",
      outcome: "succeeded",
      imageId: original,
      previousImageId: first.imageId,
    });
    expect(await webImage()).toBe(original);
    expect(await webHealthy()).toBe(true);
  }, 600_000);

  it("lists what ran when, and refuses an image that is not on the host (exit 2)", async () => {
    const listed = JSON.parse((await run(["releases", "--json"])).stdout) as {
      releases: Release[];
    };
    expect(listed.releases.map((r) => [r.service, r.action, r.outcome])).toEqual([
      ["web", "deploy", "succeeded"],
      ["web", "deploy", "failed"],
      ["web", "rollback", "succeeded"],
    ]);
    const missing = await run(["deploy", "web", "--image", "hailmary/web:no-such-tag"], 2);
    expect(missing.stderr).toContain("there is no image");
    expect(missing.stderr).toContain("never pulls from a registry");
  }, 120_000);
});
