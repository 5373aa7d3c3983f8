import type { Environment } from "../lib/config/mod.ts";
import type { ComposeViolation } from "../lib/compose/compose_violations.ts";
import { loadComposeFiles, readEnvFile } from "../lib/compose/load_compose_files.ts";
import type { ComposeProject } from "../lib/runtime/compose_project.ts";
import { lastLines, runDocker } from "../lib/runtime/docker_cli.ts";
import type { MergedCompose } from "../lib/runtime/swarm_stack.ts";
import { swarmViolations } from "../lib/runtime/swarm_stack_check.ts";

/**
 * The swarm checks of config:validate for an environment with runtime: swarm:
 * the stack file rendered from the merged compose files (built-in merge), its
 * invariants, and, with `docker`, `docker stack config` on it.
 */
export async function swarmModelViolations(
  environment: Environment,
  project: ComposeProject,
  variables: Record<string, string>,
  docker: boolean,
): Promise<ComposeViolation[]> {
  const envFile = project.envFile ? await readEnvFile(project.envFile) : {};
  const loaded = await loadComposeFiles(project.files, project.directory, {
    ...envFile,
    ...Deno.env.toObject(),
    ...variables,
  });
  const stackConfig = docker
    ? async (stack: Record<string, unknown>) => {
      // the file on stdin: the check writes nothing
      const result = await runDocker(
        { program: Deno.env.get("OPS_DOCKER") ?? "docker", env: Deno.env.toObject() },
        ["stack", "config", "--skip-interpolation", "--compose-file", "-"],
        { stdin: JSON.stringify(stack) },
      );
      return result.code === 0 ? null : lastLines(result.stderr, 3);
    }
    : undefined;
  const found = await swarmViolations(environment, loaded.raw as MergedCompose, stackConfig);
  return found.map((v) => ({ ...v, file: null, line: null }));
}
