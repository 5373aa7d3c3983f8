import type { ConfiguredService } from "../config/mod.ts";
import { FailedError } from "../errors.ts";
import { composeCommands } from "../runtime/compose_commands.ts";
import type { ComposeProject } from "../runtime/compose_project.ts";
import { type DockerCli, imageId, lastLines, runDocker } from "../runtime/docker_cli.ts";
import { sleep } from "../runtime/proc.ts";
import type { Runtime } from "../runtime/runtime.ts";
import { deployDockerCli, runningImageId, serviceImage, tagImage } from "./compose_images.ts";
import type { DeployOptions } from "./native_deploy.ts";
import { currentRelease, readReleases, type Release } from "./release_log.ts";
import { sourceVersion } from "./source_version.ts";
import { trackRelease } from "./track_release.ts";
import { buildDeployImage, refuseMissingImage } from "./deploy_image.ts";
import { rollbackTarget } from "./rollback_target.ts";

/** Default seconds a new container may take to become healthy. */
const defaultTimeoutSeconds = 180;

/**
 * Deploys a service on Docker Compose: builds its image from the checkout
 * (tagged `<repository>:<commit>`, `-dirty` when the tree has changes) or
 * takes `--image`, points the service's image reference at it, recreates the
 * container and waits for its health check. When it does not become healthy,
 * the image it ran before is put back and recreated, and the deploy fails.
 * @throws {UsageError} when the service has no image name, or nothing to build and no `--image`.
 */
export async function deployCompose(
  runtime: Runtime,
  project: ComposeProject,
  service: ConfiguredService,
  options: DeployOptions = {},
): Promise<Release> {
  const name = service.definition.name;
  const cli = deployDockerCli(project);
  const image = await serviceImage(cli, project, name);
  const givenId = options.image === undefined ? undefined : await imageId(cli, options.image);
  refuseMissingImage(
    name,
    image,
    options,
    givenId,
    "build or load it first (docker images lists them); deploy never pulls from a registry",
  );
  const version = options.image ?? await sourceVersion();
  const previous = currentRelease(await readReleases(runtime.environment), name);
  return await trackRelease(
    runtime.environment,
    service,
    { action: "deploy", version, runtime: runtime.kind },
    async (facts) => {
      const before = await runningImageId(cli, project, name) ?? await imageId(cli, image.ref);
      if (before) facts.previousImageId = before;
      if (previous) facts.previousVersion = previous.version;
      const source = await buildDeployImage(cli, name, image, version, options);
      const target = await imageId(cli, source);
      if (!target) throw new FailedError(`the image ${source} is gone before it could be deployed`);
      facts.image = source;
      facts.imageId = target;
      await switchImage(cli, project, name, image.ref, target, before, options);
    },
  );
}

/**
 * Goes back to the image a service ran before its current release (the
 * newest that succeeded, deploy or rollback), with the same health wait and
 * the same putting back on failure. Rolling back twice returns to where it started.
 * @throws {UsageError} when no release of the service names an image before it.
 */
export async function rollbackCompose(
  runtime: Runtime,
  project: ComposeProject,
  service: ConfiguredService,
  options: DeployOptions = {},
): Promise<Release> {
  const name = service.definition.name;
  const cli = deployDockerCli(project);
  const { releases, current, targetId: target } = await rollbackTarget(
    runtime.environment,
    cli,
    name,
  );
  const image = await serviceImage(cli, project, name);
  const version = current.previousVersion ??
    releases.findLast((r) => r.service === name && r.imageId === target)?.version ??
    target.slice(0, 19);
  return await trackRelease(
    runtime.environment,
    service,
    { action: "rollback", version, runtime: runtime.kind },
    async (facts) => {
      const before = await runningImageId(cli, project, name) ?? current.imageId;
      if (before) facts.previousImageId = before;
      facts.previousVersion = current.version;
      facts.image = image.ref;
      facts.imageId = target;
      options.onStep?.(`${name}: going back to ${version}...`);
      await switchImage(cli, project, name, image.ref, target, before, options);
    },
  );
}

/**
 * Points `ref` at `target`, recreates the service and waits for its health
 * check; on failure points `ref` back at `before` and recreates again.
 * @throws {FailedError} when the new container did not become healthy (after putting `before` back).
 */
async function switchImage(
  cli: DockerCli,
  project: ComposeProject,
  service: string,
  ref: string,
  target: string,
  before: string | undefined,
  options: DeployOptions,
): Promise<void> {
  const timeout = options.timeoutSeconds ?? defaultTimeoutSeconds;
  const deadline = Date.now() + timeout * 1000;
  await tagImage(cli, target, ref);
  options.onStep?.(`${service}: recreating, waiting up to ${timeout} s for its health check...`);
  const up = await recreate(cli, project, service, timeout, options.signal);
  // compose's own wait is not the last word: every container must run the new image, healthy
  const seen = up.code === 0
    ? await healthyOn(cli, project, service, target, deadline)
    : lastLines(up.stderr, 4);
  if (seen === undefined) return;
  if (!before) {
    throw new FailedError(
      `${service} did not become healthy on the new image, and there is no earlier image to put back: ${seen}`,
      { hint: `read ./ops ${service}:logs` },
    );
  }
  options.onStep?.(`${service}: not healthy on the new image; putting the previous one back...`);
  await tagImage(cli, before, ref);
  const back = await recreate(cli, project, service, Math.max(timeout, 120), options.signal);
  throw new FailedError(
    `${service} did not become healthy on the new image within ${timeout} s (${seen}); ${
      back.code === 0
        ? "the previous image runs again, healthy"
        : `putting the previous image back failed too: ${lastLines(back.stderr, 4)}`
    }`,
    { hint: `read ./ops ${service}:logs` },
  );
}

/**
 * Waits until every container of the service runs `image` and its health
 * check says healthy (or it has none); returns what was seen when the
 * deadline passes first, else undefined.
 */
async function healthyOn(
  cli: DockerCli,
  project: ComposeProject,
  service: string,
  image: string,
  deadline: number,
): Promise<string | undefined> {
  let seen = "no container";
  do {
    const ids = (await runDocker(cli, [...composeCommands.base(project), "ps", "--quiet", service]))
      .stdout.split("\n").map((l) => l.trim()).filter(Boolean);
    if (ids.length) {
      const states = (await runDocker(cli, [
        "inspect",
        "--format",
        "{{.Image}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}",
        ...ids,
      ])).stdout.split("\n").map((l) => l.trim()).filter(Boolean);
      const bad = states.filter((line) => {
        const [id, health] = line.split(" ");
        return id !== image || (health !== "healthy" && health !== "none");
      });
      if (states.length === ids.length && bad.length === 0) return undefined;
      seen = `container health: ${states.map((l) => l.split(" ")[1]).join(", ")}`;
    }
    await sleep(1000);
  } while (Date.now() < deadline);
  return seen;
}

/** Recreates a service's containers on the image its reference names now, waiting until healthy. */
function recreate(
  cli: DockerCli,
  project: ComposeProject,
  service: string,
  timeoutSeconds: number,
  signal: AbortSignal | undefined,
) {
  return runDocker(
    cli,
    [
      ...composeCommands.base(project),
      "up",
      "--detach",
      "--wait",
      "--wait-timeout",
      String(timeoutSeconds),
      "--no-deps",
      "--force-recreate",
      service,
    ],
    signal ? { signal } : {},
  );
}
