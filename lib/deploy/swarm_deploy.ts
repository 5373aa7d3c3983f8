import type { ConfiguredService } from "../config/mod.ts";
import { FailedError, UsageError } from "../errors.ts";
import { type DockerCli, imageId } from "../runtime/docker_cli.ts";
import type { SwarmRuntime } from "../runtime/swarm_runtime.ts";
import { moveImages } from "../runtime/swarm_images.ts";
import { deployDockerCli, serviceImage, tagImage } from "./compose_images.ts";
import type { DeployOptions } from "./native_deploy.ts";
import { currentRelease, readReleases, type Release } from "./release_log.ts";
import { sourceVersion } from "./source_version.ts";
import { rollOut, serviceSpecImage } from "./swarm_rollout.ts";
import { trackRelease } from "./track_release.ts";
import { buildDeployImage, refuseMissingImage } from "./deploy_image.ts";
import { rollbackTarget } from "./rollback_target.ts";
import { tagWhereLoaded } from "./node_images.ts";
import { environmentArgument } from "../config/environment_argument.ts";

/** Seconds swarm watches each new task for a failure before it counts as done. */
const monitorSeconds = 5;
/** Default seconds a whole rollout may take. */
const defaultTimeoutSeconds = 600;

/**
 * Deploys a service on a swarm: builds its image on this host from the
 * checkout (`<repository>:<commit>`, `-dirty` when the tree has changes) or
 * takes `--image`, loads it onto every node (`docker save | docker load`, no
 * registry), then `docker service update` replaces one task at a time, each
 * new task gated by its health check, and swarm rolls the service back by
 * itself when a new task does not become healthy. On success the service's
 * image reference on this host (`:latest`) names the new image, so the next
 * `up` keeps it.
 * @throws {UsageError} when the service is not running on the swarm, or the image is unknown.
 */
export async function deploySwarm(
  runtime: SwarmRuntime,
  service: ConfiguredService,
  options: DeployOptions = {},
): Promise<Release> {
  const name = service.definition.name;
  const cli = deployDockerCli(runtime.project);
  const swarmService = `${runtime.stack}_${name}`;
  // independent look-ups at once: a deploy's own time is what it adds to the rollout
  const [image, givenId, before, releases] = await Promise.all([
    serviceImage(cli, runtime.project, name),
    options.image === undefined ? Promise.resolve(undefined) : imageId(cli, options.image),
    specImageOrRefuse(cli, runtime, swarmService, name),
    readReleases(runtime.environment),
  ]);
  refuseMissingImage(
    name,
    image,
    options,
    givenId,
    "build or load it here first; deploy moves it to the nodes and never pulls from a registry",
  );
  const version = options.image ?? await sourceVersion();
  const previous = currentRelease(releases, name);
  return await trackRelease(
    runtime.environment,
    service,
    { action: "deploy", version, runtime: runtime.kind },
    async (facts) => {
      facts.previousImage = before;
      const previousId = await imageId(cli, before);
      if (previousId) facts.previousImageId = previousId;
      if (previous) facts.previousVersion = previous.version;
      const source = await buildDeployImage(cli, name, image, version, options);
      facts.image = source;
      const sourceId = givenId ?? await imageId(cli, source);
      if (sourceId) facts.imageId = sourceId;
      await rollOutImage(cli, runtime, name, source, sourceId, options);
      // the next stack deploy (./ops up) names the service's usual reference: point it here
      await tagImage(cli, source, image.ref);
    },
  );
}

/**
 * Goes back to the image reference a swarm service ran before its current
 * release, with the same health-gated rollout.
 * @throws {UsageError} when no release of the service names an image before it.
 */
export async function rollbackSwarm(
  runtime: SwarmRuntime,
  service: ConfiguredService,
  options: DeployOptions = {},
): Promise<Release> {
  const name = service.definition.name;
  const cli = deployDockerCli(runtime.project);
  const { current, targetId } = await rollbackTarget(runtime.environment, cli, name);
  const image = await serviceImage(cli, runtime.project, name);
  const swarmService = `${runtime.stack}_${name}`;
  const before = await specImageOrRefuse(cli, runtime, swarmService, name);
  // a reference of its own: the one it ran under (`:latest`) may name another image by now
  const target = `${image.repository}:rollback-${targetId.replace(/^sha256:/, "").slice(0, 12)}`;
  return await trackRelease(
    runtime.environment,
    service,
    { action: "rollback", version: current.previousVersion ?? target, runtime: runtime.kind },
    async (facts) => {
      facts.previousImage = before;
      const beforeId = await imageId(cli, before);
      if (beforeId) facts.previousImageId = beforeId;
      facts.previousVersion = current.version;
      facts.image = target;
      facts.imageId = targetId;
      await tagImage(cli, targetId, target);
      options.onStep?.(`${name}: going back to ${target}...`);
      await rollOutImage(cli, runtime, name, target, targetId, options);
      await tagImage(cli, targetId, image.ref);
    },
  );
}

async function specImageOrRefuse(
  cli: DockerCli,
  runtime: SwarmRuntime,
  swarmService: string,
  name: string,
): Promise<string> {
  try {
    return await serviceSpecImage(cli, (await runtime.engines()).manager, swarmService);
  } catch (error) {
    if (!(error instanceof FailedError)) throw error;
    throw new UsageError(
      `${name} does not run on the swarm of ${runtime.environment.name} (no service ${swarmService})`,
      `start it first: ./ops ${name}:start --env ${environmentArgument(runtime.environment)}`,
    );
  }
}

/**
 * Loads the image onto every node and rolls it out.
 * @throws {FailedError} when swarm rolled the service back (the previous image runs again) or stopped.
 */
async function rollOutImage(
  cli: DockerCli,
  runtime: SwarmRuntime,
  name: string,
  image: string,
  id: string | undefined,
  options: DeployOptions,
): Promise<void> {
  const engines = await runtime.engines();
  const tagged = id ? await tagWhereLoaded(cli, engines.nodes, id, image) : [];
  if (tagged.length < engines.nodes.length) {
    options.onStep?.(`${name}: loading ${image} onto the nodes that do not have it...`);
    await moveImages(engines.nodes, [image], options.signal);
  }
  options.onStep?.(
    `${name}: rolling out ${image}, one task at a time, each gated by its health check...`,
  );
  const outcome = await rollOut(cli, engines.manager, `${runtime.stack}_${name}`, image, {
    timeoutSeconds: options.timeoutSeconds ?? defaultTimeoutSeconds,
    monitorSeconds,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (outcome.state === "completed") return;
  if (outcome.state === "rollback_completed") {
    throw new FailedError(
      `a new task of ${name} did not become healthy, so swarm rolled ${name} back by itself (${outcome.message}); the previous image runs again`,
      { hint: `read ./ops ${name}:logs --env ${environmentArgument(runtime.environment)}` },
    );
  }
  throw new FailedError(
    `the rollout of ${name} stopped (swarm says ${outcome.state}: ${outcome.message})`,
    { hint: `docker service ps ${runtime.stack}_${name} shows its tasks` },
  );
}
