import { FailedError, UsageError } from "../errors.ts";
import type { BuildSpec } from "../setup/compose_requirements.ts";
import { composeCommands } from "../runtime/compose_commands.ts";
import type { ComposeProject } from "../runtime/compose_project.ts";
import { type DockerCli, dockerOutput } from "../runtime/docker_cli.ts";

/** The Docker CLI as a deploy runs it: the caller's environment plus the project's variables. */
export function deployDockerCli(project: ComposeProject): DockerCli {
  return {
    program: Deno.env.get("OPS_DOCKER") ?? "docker",
    env: { ...Deno.env.toObject(), ...project.variables },
  };
}

/** How the compose files build and name a service's image. */
export interface ServiceImage {
  /** The reference the service runs (`hailmary/web:latest`): a deploy points it at the new image. */
  ref: string;
  /** The repository part of it (`hailmary/web`), for the version tags. */
  repository: string;
  /** How the compose files build it, when they do. */
  build: BuildSpec | undefined;
}

/**
 * The image reference of a service in the rendered compose model.
 * @throws {UsageError} when the compose files do not define the service or give it no image name.
 */
export async function serviceImage(
  cli: DockerCli,
  project: ComposeProject,
  service: string,
): Promise<ServiceImage> {
  const text = await dockerOutput(
    cli,
    composeCommands.config(project),
    "rendering the compose files",
  );
  const model = JSON.parse(text) as {
    services?: Record<string, { image?: string; build?: BuildSpec }>;
  };
  const entry = model.services?.[service];
  if (!entry) {
    throw new UsageError(
      `no compose file of ${project.name} defines ${service}`,
      "run ./ops config:validate",
    );
  }
  if (!entry.image) {
    throw new UsageError(
      `the compose files give ${service} no image name, so a deploy cannot tag its versions`,
      `add image: <repository>:\${HAILMARY_IMAGE_TAG:-latest} to ${service}'s compose file`,
    );
  }
  const ref = entry.image.includes(":", entry.image.lastIndexOf("/") + 1)
    ? entry.image
    : `${entry.image}:latest`;
  return {
    ref,
    repository: ref.slice(0, ref.lastIndexOf(":")),
    build: entry.build?.context ? entry.build : undefined,
  };
}

/** Points `target` at the image `source` (a reference or an id). */
export async function tagImage(cli: DockerCli, source: string, target: string): Promise<void> {
  await dockerOutput(cli, ["tag", source, target], `tagging ${source} as ${target}`);
}

/**
 * The image id the service's running container was created from, when one runs.
 * @throws {FailedError} when docker cannot list the project's containers.
 */
export async function runningImageId(
  cli: DockerCli,
  project: ComposeProject,
  service: string,
): Promise<string | undefined> {
  const ids = (await dockerOutput(
    cli,
    [...composeCommands.base(project), "ps", "--quiet", service],
    `listing the containers of ${service}`,
  )).split("\n").map((l) => l.trim()).filter(Boolean);
  if (ids.length === 0) return undefined;
  const images = await dockerOutput(
    cli,
    ["inspect", "--format", "{{.Image}}", ...ids],
    `inspecting the containers of ${service}`,
  );
  const first = images.split("\n").map((l) => l.trim()).find(Boolean);
  if (!first) throw new FailedError(`docker inspect named no image for ${service}'s container`);
  return first;
}
