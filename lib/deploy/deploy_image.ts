import { UsageError } from "../errors.ts";
import { Output } from "../output/output.ts";
import type { DockerCli } from "../runtime/docker_cli.ts";
import { buildServiceImage } from "../setup/compose_requirements.ts";
import type { ServiceImage } from "./compose_images.ts";
import type { DeployOptions } from "./native_deploy.ts";

/**
 * Refuses a container deploy with nothing to run: a service the compose files
 * do not build and no `--image`, or an `--image` this Docker host does not have.
 * @param givenId the id of `--image` on this host, when it has it.
 * @param loadHint how to get the image onto this host.
 * @throws {UsageError} naming what is missing and how to provide it.
 */
export function refuseMissingImage(
  name: string,
  image: ServiceImage,
  options: DeployOptions,
  givenId: string | undefined,
  loadHint: string,
): void {
  if (!image.build && options.image === undefined) {
    throw new UsageError(
      `${name} has no build in the compose files, so there is nothing to deploy from this checkout`,
      `pass the image to run: ./ops deploy ${name} --image REPOSITORY:TAG`,
    );
  }
  if (options.image !== undefined && givenId === undefined) {
    throw new UsageError(
      `there is no image ${JSON.stringify(options.image)} on this Docker host`,
      loadHint,
    );
  }
}

/**
 * The image reference a container deploy runs: `--image` as given, else
 * `<repository>:<version>` built from the checkout on this host.
 */
export async function buildDeployImage(
  cli: DockerCli,
  name: string,
  image: ServiceImage,
  version: string,
  options: DeployOptions,
): Promise<string> {
  const source = options.image ?? `${image.repository}:${version}`;
  if (options.image === undefined && image.build) {
    options.onStep?.(`${name}: building ${source}...`);
    await buildServiceImage(options.output ?? new Output({ json: true }), {
      image: source,
      build: image.build,
    }, cli.env);
  }
  return source;
}
