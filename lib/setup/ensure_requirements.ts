import type { Environment } from "../config/mod.ts";
import { FailedError } from "../errors.ts";
import type { Output } from "../output/output.ts";
import { ensureComposeRequirements } from "./compose_requirements.ts";
import { nativeRequirements, onPath, type RequirementResult, run } from "./requirements.ts";

/**
 * Installs whatever the native runtime is missing: Debian packages with
 * apt-get (one update, one install), then the service user and OpenSearch.
 * A second run finds everything present and changes nothing. For an
 * environment on the compose runtime: Docker, Compose v2, the daemon and the
 * service images instead (see {@link ensureComposeRequirements}); the swarm
 * runtime needs the same on this host, whose images it moves to the nodes.
 * @throws {FailedError} listing what to install when not root or without apt-get.
 */
export async function ensureRequirements(
  output: Output,
  options: { environment?: Environment; quietWhenPresent?: boolean; rebuild?: boolean } = {},
): Promise<RequirementResult[]> {
  if (options.environment && options.environment.runtime !== "native") {
    return await ensureComposeRequirements(output, options.environment, {
      rebuild: options.rebuild ?? false,
    });
  }
  const requirements = nativeRequirements(options);
  const missing = requirements.filter((r) => !r.present());
  if (missing.length === 0) return requirements.map((r) => ({ name: r.name, action: "present" }));

  const packages = [...new Set(missing.flatMap((r) => r.aptPackages ?? []))];
  const isRoot = Deno.uid() === 0;
  // without root (or apt-get) only the steps that need neither can run: the OpenSearch download
  const blocked = missing.filter((r) => r.aptPackages && (!isRoot || !onPath("apt-get")));
  if (blocked.length > 0) {
    const lines = blocked.map((r) => `  - ${r.name} (apt-get install ${r.aptPackages!.join(" ")})`);
    throw new FailedError(
      `this machine is missing what the native runtime needs:\n${lines.join("\n")}`,
      {
        hint: isRoot
          ? "install them with your package manager, then run ./ops setup again"
          : "run ./ops setup as root, or install them yourself",
      },
    );
  }
  if (packages.length > 0) {
    output.info(`installing Debian packages: ${packages.join(" ")}`);
    const env = {
      DEBIAN_FRONTEND: "noninteractive",
      PATH: Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin",
    };
    await run(["apt-get", "update", "-q"], env);
    await run(["apt-get", "install", "-y", "-q", "--no-install-recommends", ...packages], env);
  }
  const results: RequirementResult[] = [];
  for (const requirement of requirements) {
    if (requirement.present()) {
      results.push({
        name: requirement.name,
        action: missing.includes(requirement) ? "installed" : "present",
      });
      continue;
    }
    if (!requirement.install) {
      throw new FailedError(
        `${requirement.name} is still missing after installing ${packages.join(" ")}`,
      );
    }
    output.info(`installing ${requirement.name}`);
    await requirement.install(output);
    if (!requirement.present()) {
      throw new FailedError(`${requirement.name} is still missing after its install step`);
    }
    results.push({ name: requirement.name, action: "installed" });
  }
  return results;
}
