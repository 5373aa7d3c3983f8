import { relative } from "../lib/posix_path.ts";
import { type Environment, loadEnvironment } from "../lib/config/mod.ts";
import { secretRefPattern } from "../lib/config/secret_pattern.ts";
import { UsageError } from "../lib/errors.ts";
import type { Output } from "../lib/output/output.ts";
import { environmentsDir, projectRoot } from "../lib/project_paths.ts";
import { type AnyTask, defineTask } from "../lib/task/define_task.ts";
import { type ComposeViolation, composeViolations } from "../lib/compose/compose_violations.ts";
import {
  availableRenderer,
  type ComposeRenderer,
  renderCompose,
} from "../lib/compose/render_compose.ts";
import {
  composeProject,
  composeVariables,
  variableSuffix,
} from "../lib/runtime/compose_project.ts";
import { swarmModelViolations } from "./config_swarm.ts";

/** What `config:validate` found for one environment. */
export interface EnvironmentValidation {
  environment: string;
  /** The environment file, from the project root. */
  file: string;
  runtime: string;
  /** The compose files (`-f`), from the project root. */
  composeFiles: string[];
  /** `docker` (docker compose config) or `builtin` (the YAML merge, no Docker needed). */
  renderer: ComposeRenderer;
  /** Services in the rendered model. */
  services: number;
  violations: ComposeViolation[];
}

/** The result of `config:validate`. */
export interface ConfigValidateResult {
  ok: boolean;
  environments: EnvironmentValidation[];
}

const shown = (path: string) => {
  const rel = relative(projectRoot, path);
  return rel.startsWith("..") ? path : rel;
};

async function shippedEnvironments(): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(environmentsDir)) {
    if (entry.isFile && /^[a-z][a-z0-9-]*\.yaml$/.test(entry.name)) {
      names.push(entry.name.replace(/\.yaml$/, ""));
    }
  }
  return names.sort();
}

/** The secret variables of an environment, rendered as markers that must never appear in a service. */
function secretMarkers(environment: Environment): Record<string, string> {
  const markers: Record<string, string> = {};
  for (const service of environment.services) {
    for (const [key, value] of Object.entries(service.settings)) {
      if (typeof value !== "string" || !secretRefPattern.test(value)) continue;
      const name = `HAILMARY_${variableSuffix(service.definition.name)}_${variableSuffix(key)}`;
      markers[name] = `hailmary-secret-marker-${service.definition.name}-${key}`;
    }
  }
  return markers;
}

/**
 * Renders the compose model of each environment and checks its invariants
 * (see `composeViolations`). Secrets are not resolved: the secret variables are
 * rendered as markers, so the check needs neither the passwords nor Docker.
 * @throws {UsageError} for an unknown environment or renderer.
 */
export async function validateComposeConfig(
  names: readonly string[],
  requested: "auto" | ComposeRenderer,
): Promise<ConfigValidateResult> {
  const renderer = requested === "auto" ? await availableRenderer() : requested;
  const environments: EnvironmentValidation[] = [];
  for (const name of names.length ? names : await shippedEnvironments()) {
    const environment = await loadEnvironment(name, {
      resolveSecrets: false,
      generatedSecrets: "read",
    });
    const project = composeProject(environment);
    const markers = secretMarkers(environment);
    const rendered = await renderCompose(project, {
      renderer,
      variables: { ...composeVariables(environment), ...markers },
    });
    const base = {
      environment: environment.name,
      file: shown(environment.file),
      runtime: environment.runtime,
      composeFiles: project.files.map(shown),
      renderer,
    };
    if (!rendered.ok) {
      environments.push({
        ...base,
        services: 0,
        violations: [{
          rule: "render",
          service: null,
          file: rendered.file,
          line: rendered.line,
          message: `the compose files do not render: ${rendered.error}`,
        }],
      });
      continue;
    }
    const violations = composeViolations(rendered.model, rendered.origins, {
      protected: environment.protected,
      services: environment.services.map((s) => ({
        name: s.definition.name,
        dependsOn: s.definition.dependsOn,
      })),
      secretMarkers: markers,
    });
    if (environment.runtime === "swarm") {
      violations.push(
        ...await swarmModelViolations(environment, project, {
          ...composeVariables(environment),
          ...markers,
        }, renderer === "docker"),
      );
    }
    environments.push({
      ...base,
      services: Object.keys(rendered.model.services).length,
      violations,
    });
  }
  return { ok: environments.every((e) => e.violations.length === 0), environments };
}

function renderValidation(result: ConfigValidateResult, output: Output): void {
  for (const e of result.environments) {
    const files = e.composeFiles.join(" + ");
    if (e.violations.length === 0) {
      output.line(
        `${output.style("ok", "green")}    ${e.environment}: ${e.services} services, ${files} (${
          e.renderer === "docker" ? "docker compose config" : "built-in renderer"
        })`,
      );
      continue;
    }
    output.line(
      `${
        output.style("FAIL", "red")
      }  ${e.environment}: ${e.violations.length} violation(s) in ${files}`,
    );
    for (const v of e.violations) {
      const where = v.file ? `${v.file}${v.line ? `:${v.line}` : ""}` : e.file;
      output.line(`      ${where}: ${v.service ? `${v.service}: ` : ""}${v.message} [${v.rule}]`);
    }
  }
}

/** `config:validate`: the compose model of every environment against its invariants. */
export function configTasks(): AnyTask[] {
  const validate = defineTask({
    id: "config:validate",
    summary:
      "Render each environment's compose model and check it: health checks, no database port in production, no inline secret, health-gated dependencies",
    action: "validate",
    permissions: "observe",
    needsEnvironment: false,
    // `docker compose config` renders the model unless the built-in renderer is asked for
    programs: (options) => (options.renderer === "builtin" ? [] : ["docker"]),
    args: [{
      name: "environments",
      description: "environment names or files (default: every environments/*.yaml)",
      variadic: true,
    }],
    options: {
      renderer: {
        type: "string",
        description: "docker (docker compose config), builtin (no Docker needed) or auto",
        choices: ["auto", "docker", "builtin"],
        default: "auto",
      },
    },
    run: async (_ctx, { args, options }) => {
      if (!["auto", "docker", "builtin"].includes(options.renderer)) {
        throw new UsageError(
          `unknown renderer ${JSON.stringify(options.renderer)}`,
          "use auto, docker or builtin",
        );
      }
      return await validateComposeConfig(args, options.renderer as "auto" | ComposeRenderer);
    },
    render: renderValidation,
    exitCode: (result) => (result.ok ? 0 : 1),
  });
  return [validate];
}
