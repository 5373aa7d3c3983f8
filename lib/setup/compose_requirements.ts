import { join } from "../posix_path.ts";
import type { Environment } from "../config/mod.ts";
import { FailedError } from "../errors.ts";
import type { Output } from "../output/output.ts";
import { composeCommands } from "../runtime/compose_commands.ts";
import { composeProject } from "../runtime/compose_project.ts";
import { type DockerCli, imageId, lastLines, runDocker } from "../runtime/docker_cli.ts";
import { onPath, type RequirementResult, run } from "./requirements.ts";
import { buildFingerprint, fingerprintLabel } from "./build_fingerprint.ts";
import { releaseImageIds, removeReplacedImage } from "./replaced_image.ts";
import { readReleases } from "../deploy/release_log.ts";

/** The Compose v2 release `./ops setup` builds when the plugin is missing and Go is present. */
export const composeVersion = "v2.28.1";

/** The `build` section of a service in the rendered compose model. */
export interface BuildSpec {
  context?: string;
  dockerfile?: string;
  args?: Record<string, string | null>;
}

function succeeds(program: string, args: string[], env?: Record<string, string>): boolean {
  try {
    return new Deno.Command(program, {
      args,
      stdout: "null",
      stderr: "null",
      ...(env ? { env } : {}),
    }).outputSync().success;
  } catch {
    return false;
  }
}

async function installComposePlugin(output: Output): Promise<void> {
  if (!onPath("go")) {
    throw new FailedError("Docker Compose v2 (the `docker compose` plugin) is missing", {
      hint:
        "install Docker's docker-compose-plugin package, or install Go and run ./ops setup again (it builds Compose with go install)",
    });
  }
  const home = Deno.env.get("HOME") ?? "/root";
  output.info(`building Docker Compose ${composeVersion} with go install (a few minutes)`);
  await run(["go", "install", `github.com/docker/compose/v2/cmd@${composeVersion}`], {
    PATH: Deno.env.get("PATH") ?? "/usr/local/go/bin:/usr/bin:/bin",
    HOME: home,
    GOFLAGS: "-p=1",
  });
  const gopath = Deno.env.get("GOPATH") ?? join(home, "go");
  const plugins = join(home, ".docker", "cli-plugins");
  await Deno.mkdir(plugins, { recursive: true });
  await Deno.copyFile(join(gopath, "bin", "cmd"), join(plugins, "docker-compose"));
  await Deno.chmod(join(plugins, "docker-compose"), 0o755);
}

/** Builds a Debian root file system with debootstrap and imports it as `image` (for hosts that reach no registry). */
async function importDebianBase(image: string, output: Output): Promise<void> {
  const suite = /bookworm|bullseye|trixie/.exec(image)?.[0];
  if (suite && !onPath("debootstrap") && Deno.uid() === 0 && onPath("apt-get")) {
    output.info("installing Debian packages: debootstrap");
    await run(["apt-get", "install", "-y", "-q", "--no-install-recommends", "debootstrap"], {
      ...Deno.env.toObject(),
      DEBIAN_FRONTEND: "noninteractive",
    });
  }
  if (!suite || !onPath("debootstrap")) {
    throw new FailedError(`the base image ${image} can be neither pulled nor built here`, {
      hint: suite
        ? "install debootstrap (apt-get install debootstrap) and run ./ops setup again"
        : "pull or build it yourself, or set HAILMARY_BASE_IMAGE in environments/<env>.env",
    });
  }
  const dir = await Deno.makeTempDir({ prefix: "hailmary-rootfs-" });
  try {
    // the folder becomes the image's `/`: a temp folder's 0700 would lock every
    // non-root user in the containers out of /usr/lib
    await Deno.chmod(dir, 0o755);
    output.info(`building ${image} from Debian ${suite} with debootstrap (no registry reachable)`);
    await run([
      "debootstrap",
      "--variant=minbase",
      suite,
      dir,
      Deno.env.get("HAILMARY_DEBIAN_MIRROR") ?? "http://deb.debian.org/debian",
    ], { PATH: Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin" });
    const tar = new Deno.Command("tar", { args: ["-C", dir, "-c", "."], stdout: "piped" }).spawn();
    const load = new Deno.Command("docker", {
      args: ["import", "-", image],
      stdin: "piped",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    await tar.stdout.pipeTo(load.stdin);
    const [tarStatus, loaded] = await Promise.all([tar.status, load.output()]);
    if (!tarStatus.success || !loaded.success) {
      throw new FailedError(
        `importing ${image} failed: ${new TextDecoder().decode(loaded.stderr).trim()}`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Where Debian keeps the certificate authorities a host adds to its trust store. */
const localCertificates = "/usr/local/share/ca-certificates";

/**
 * The host's added certificate authorities (PEM), which image builds trust
 * too: a host behind a TLS-inspecting proxy reaches the package registries
 * only with them. HAILMARY_BUILD_CA_CERTIFICATES, when set, wins (the compose
 * files pass it as the EXTRA_CA_CERTIFICATES build argument).
 */
async function hostExtraCertificates(): Promise<string> {
  const pem: string[] = [];
  try {
    for await (const entry of Deno.readDir(localCertificates)) {
      if (entry.name.endsWith(".crt")) {
        pem.push((await Deno.readTextFile(join(localCertificates, entry.name))).trim());
      }
    }
  } catch {
    // none added
  }
  return pem.sort().join("\n");
}

/** Where a daemon started by setup writes its log. */
export const dockerdLogFile = "/var/log/hailmary-dockerd.log";

/**
 * The daemon options setup starts dockerd with on a host without a service
 * manager: overlay2 storage (a container starts in a fraction of vfs's time,
 * and no image is copied whole per layer), no iptables and no default bridge
 * (virtual machines where netfilter is unavailable),
 * and the host's IP forwarding is left as it is (dockerd turns it on by
 * default, routing between every interface of the host).
 * HAILMARY_DOCKERD_ARGS replaces them.
 */
export function dockerdArgs(): string[] {
  const configured = Deno.env.get("HAILMARY_DOCKERD_ARGS")?.trim();
  return configured
    ? configured.split(/\s+/)
    : ["--storage-driver=overlay2", "--iptables=false", "--bridge=none", "--ip-forward=false"];
}

/**
 * Starts the Docker daemon when none answers (see {@link startDockerDaemon}).
 * @throws {FailedError} when it cannot be reached nor started here.
 */
export async function ensureDockerDaemon(output: Output): Promise<"present" | "installed"> {
  if (succeeds("docker", ["info"])) return "present";
  await startDockerDaemon(output);
  return "installed";
}

/**
 * Starts dockerd in its own session (it outlives setup, as a service would),
 * logging to {@link dockerdLogFile}, and waits for it to answer. Only as root
 * on a host without systemd: with systemd, the docker unit is the operator's.
 */
async function startDockerDaemon(output: Output): Promise<void> {
  const managed = await Deno.stat("/run/systemd/system").then(() => true, () => false);
  if (Deno.uid() !== 0 || managed || !onPath("dockerd")) {
    throw new FailedError("the Docker daemon is not reachable", {
      hint: managed
        ? "start it (systemctl start docker), check DOCKER_HOST, then run ./ops setup again"
        : "start dockerd as root (or check DOCKER_HOST), then run ./ops setup again",
    });
  }
  const args = dockerdArgs();
  output.info(`starting the Docker daemon: dockerd ${args.join(" ")} (log: ${dockerdLogFile})`);
  const launched = await new Deno.Command("setsid", {
    // as a service manager would (docker.service: LimitNOFILE=infinity): containers may ask
    // for more open files than a login shell's limit (OpenSearch wants 65536)
    args: [
      "-f",
      "sh",
      "-c",
      'n=$(cat /proc/sys/fs/nr_open 2>/dev/null || echo 1048576); ulimit -Hn "$n" 2>/dev/null; ulimit -Sn "$n" 2>/dev/null; exec "$@" >>"$0" 2>&1 </dev/null',
      dockerdLogFile,
      "dockerd",
      ...args,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!launched.success) {
    throw new FailedError(
      `could not start dockerd: ${new TextDecoder().decode(launched.stderr).trim()}`,
    );
  }
  const deadline = Date.now() + 60_000;
  while (!succeeds("docker", ["info"])) {
    if (Date.now() > deadline) {
      throw new FailedError("dockerd did not answer within 60 s", {
        hint: `read ${dockerdLogFile}`,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * What the compose runtime needs, installed when missing: the Docker CLI
 * (docker.io), the Compose v2 plugin (built with `go install` when Go is
 * present), a running daemon (started when the host has no service manager), and the images
 * of the environment's services, built from their Dockerfiles (the base image
 * pulled, or made with debootstrap where no registry is reachable); with
 * `rebuild`, images with a build are built again (the layer cache keeps
 * unchanged steps); the image a rebuild replaced is removed when nothing
 * names it any more (see {@link removeReplacedImage}).
 * @throws {FailedError} naming what is missing and how to get it.
 */
export async function ensureComposeRequirements(
  output: Output,
  environment: Environment,
  options: { rebuild?: boolean } = {},
): Promise<RequirementResult[]> {
  const results: RequirementResult[] = [];
  const env = { ...Deno.env.toObject(), DEBIAN_FRONTEND: "noninteractive" };

  // a Docker CLI alone is not enough: without a reachable daemon, the engine (dockerd) is needed
  const engineMissing = !onPath("docker") ||
    (!onPath("dockerd") && !succeeds("docker", ["info"]));
  if (engineMissing) {
    if (Deno.uid() !== 0 || !onPath("apt-get")) {
      throw new FailedError("Docker Engine is missing (no dockerd and no reachable daemon)", {
        hint: "install Docker Engine (Debian: apt-get install docker.io) and run ./ops setup again",
      });
    }
    output.info("installing Debian packages: docker.io");
    await run(["apt-get", "update", "-q"], env);
    await run(["apt-get", "install", "-y", "-q", "--no-install-recommends", "docker.io"], env);
    results.push({ name: "Docker Engine (docker.io)", action: "installed" });
  } else results.push({ name: "Docker Engine (docker.io)", action: "present" });

  if (!succeeds("docker", ["compose", "version"])) {
    await installComposePlugin(output);
    if (!succeeds("docker", ["compose", "version"])) {
      throw new FailedError("Docker Compose v2 is still missing after its install step");
    }
    results.push({ name: "Docker Compose v2 plugin", action: "installed" });
  } else results.push({ name: "Docker Compose v2 plugin", action: "present" });

  results.push({ name: "Docker daemon", action: await ensureDockerDaemon(output) });

  const project = composeProject(environment);
  const cli: DockerCli = { program: "docker", env: { ...env, ...project.variables } };
  const config = await runDocker(cli, composeCommands.config(project));
  if (config.code !== 0) {
    throw new FailedError(`the compose files do not render: ${lastLines(config.stderr, 4)}`, {
      hint: "run ./ops config:validate",
    });
  }
  const model = JSON.parse(config.stdout) as {
    services?: Record<string, { image?: string; build?: BuildSpec }>;
  };
  const wanted = new Set(environment.services.map((s) => s.definition.name));
  /** Image ids the environment's releases name: a rebuild never removes those. */
  let keep: Set<string> | undefined;
  for (const [name, service] of Object.entries(model.services ?? {})) {
    if (!wanted.has(name) || !service.image) continue;
    const label = `image ${service.image} (${name})`;
    const present = succeeds("docker", ["image", "inspect", service.image]);
    if (!service.build?.context) {
      if (present) {
        results.push({ name: label, action: "present" });
        continue;
      }
      throw new FailedError(`the image ${service.image} of ${name} is missing and has no build`, {
        hint: `docker pull ${service.image}`,
      });
    }
    const dockerfile = join(service.build.context, service.build.dockerfile ?? "Dockerfile");
    const fingerprint = await buildFingerprint(dockerfile, await buildArgs(service.build));
    const built = present ? await imageFingerprint(service.image) : undefined;
    if (present && !options.rebuild && built === fingerprint) {
      results.push({ name: label, action: "present" });
      continue;
    }
    output.info(
      present
        ? `rebuilding ${service.image} for ${name}${
          options.rebuild ? "" : ": its Dockerfile's folder or build arguments changed"
        }`
        : `building ${service.image} for ${name}`,
    );
    const previousId = present ? await imageId(cli, service.image) : undefined;
    await buildServiceImage(output, { image: service.image, build: service.build }, env);
    keep ??= releaseImageIds(await readReleases(environment));
    await removeReplacedImage(cli, output, service.image, previousId, keep);
    results.push({ name: label, action: "installed" });
  }
  return results;
}

/** The build fingerprint an image was labelled with (empty when none). */
async function imageFingerprint(image: string): Promise<string> {
  const out = await new Deno.Command("docker", {
    args: ["image", "inspect", "--format", `{{index .Config.Labels "${fingerprintLabel}"}}`, image],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

/** The build arguments given to docker build (the host's extra certificates filled in; empty ones left out). */
async function buildArgs(build: BuildSpec): Promise<[string, string][]> {
  const declared = { ...build.args };
  if ("EXTRA_CA_CERTIFICATES" in declared && !declared.EXTRA_CA_CERTIFICATES) {
    declared.EXTRA_CA_CERTIFICATES = await hostExtraCertificates();
  }
  return Object.entries(declared).filter((a): a is [string, string] =>
    a[1] !== null && a[1] !== undefined && a[1] !== ""
  );
}

/** A service of the rendered compose model that has an image name and a build. */
export interface BuildableService {
  image: string;
  build: BuildSpec;
}

/**
 * Builds a service's image from its Dockerfile as setup does (host network,
 * the host's extra certificate authorities, the base image made with
 * debootstrap where no registry is named), tagged `service.image`.
 * @throws {FailedError} when the build fails, with the tail of its output.
 */
export async function buildServiceImage(
  output: Output,
  service: BuildableService,
  env: Record<string, string> = { ...Deno.env.toObject(), DEBIAN_FRONTEND: "noninteractive" },
): Promise<void> {
  const context = service.build.context;
  if (!context) throw new FailedError(`the image ${service.image} has no build context`);
  const args = await buildArgs(service.build);
  const dockerfile = join(context, service.build.dockerfile ?? "Dockerfile");
  const fingerprint = await buildFingerprint(dockerfile, args);
  const base = service.build.args?.BASE_IMAGE;
  if (base && !succeeds("docker", ["image", "inspect", base])) {
    // a registry is asked only when the image names one (registry.example.com/debian:12):
    // an image from Docker Hub's default namespace is made here with debootstrap
    if (namesRegistry(base)) {
      output.info(`pulling the base image ${base}`);
      if (!succeeds("docker", ["pull", "-q", base])) await importDebianBase(base, output);
    } else {
      await importDebianBase(base, output);
    }
  }
  await run([
    "docker",
    "build",
    "--network",
    "host",
    "--tag",
    service.image,
    "--label",
    `${fingerprintLabel}=${fingerprint}`,
    "--file",
    dockerfile,
    ...args.flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]),
    context,
  ], env);
}

/** Whether an image reference names its registry host (`host.tld/...`, `host:5000/...`, `localhost/...`). */
export function namesRegistry(image: string): boolean {
  const first = image.split("/")[0]!;
  return image.includes("/") &&
    (first.includes(".") || first.includes(":") || first === "localhost");
}
