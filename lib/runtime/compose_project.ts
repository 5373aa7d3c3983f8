import { isAbsolute, join } from "../posix_path.ts";
import type { ConfiguredService, Environment } from "../config/mod.ts";
import { secretRefPattern } from "../config/secret_pattern.ts";
import { projectRoot } from "../project_paths.ts";
import { serviceContext } from "../service/service_context.ts";

/** How `docker compose` is invoked for one environment. */
export interface ComposeProject {
  /** `--project-name`: `compose.project` of the environment file, else `hailmary-<name>`. */
  name: string;
  /** `--project-directory`: relative paths in every compose file resolve from here. */
  directory: string;
  /** `-f` files, absolute: `compose.files`, else `compose.yaml` plus the environment's override. */
  files: string[];
  /** `--env-file`: `environments/<name>.env` when it exists (documented by `<name>.env.example`). */
  envFile: string | undefined;
  /**
   * Variables the compose files interpolate, from the environment: `HAILMARY_ENVIRONMENT`,
   * `HAILMARY_STATE_DIR`, `HAILMARY_BACKUP_DIR`, `HAILMARY_SECRETS_DIR` and
   * `HAILMARY_<SERVICE>_<SETTING>` for every scalar setting that is not a secret, and the
   * variables a service declares itself (`composeVariables` of its definition).
   * They travel in the environment of the `docker` process, never on its command line.
   */
  variables: Record<string, string>;
}

/** `maxMemory` → `MAX_MEMORY`, `transportPort` → `TRANSPORT_PORT`. */
export function variableSuffix(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/[^A-Za-z0-9]+/g, "_").toUpperCase();
}

/** Where the compose runtime writes the secret files Docker mounts at `/run/secrets/<name>`. */
export function composeSecretsDir(environment: Environment): string {
  return join(environment.stateDir, "secrets", "compose");
}

/** The compose variables of an environment (see {@link ComposeProject.variables}). */
export function composeVariables(environment: Environment): Record<string, string> {
  const variables: Record<string, string> = {
    HAILMARY_ENVIRONMENT: environment.name,
    HAILMARY_STATE_DIR: environment.stateDir,
    HAILMARY_BACKUP_DIR: environment.backupDir,
    HAILMARY_SECRETS_DIR: composeSecretsDir(environment),
  };
  for (const service of environment.services) {
    Object.assign(
      variables,
      serviceVariables(service),
      service.definition.composeVariables?.(serviceContext(environment, service)),
    );
  }
  return variables;
}

/** The compose variables of one service's settings: `HAILMARY_REDIS_APPEND_ONLY=false`. */
export function serviceVariables(service: ConfiguredService): Record<string, string> {
  const variables: Record<string, string> = {};
  const add = (prefix: string, settings: Record<string, unknown>) => {
    for (const [key, value] of Object.entries(settings)) {
      if (typeof value === "string" && secretRefPattern.test(value)) continue;
      if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
        variables[prefix + variableSuffix(key)] = String(value);
      } else if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        // a group of settings (postgres `pitr`): HAILMARY_POSTGRES_PITR_MODE
        add(`${prefix}${variableSuffix(key)}_`, value as Record<string, unknown>);
      }
    }
  };
  add(`HAILMARY_${variableSuffix(service.definition.name)}_`, service.settings);
  return variables;
}

/**
 * The Docker secrets of an environment: file name (`<service>_<setting>`, e.g.
 * `postgres_password`) → resolved value, for every resolved secret setting.
 */
export function composeSecretFiles(environment: Environment): Record<string, string> {
  const files: Record<string, string> = {};
  for (const service of environment.services) {
    for (const [key, value] of Object.entries(service.settings)) {
      const secret = service.secrets[key];
      if (typeof value !== "string" || !secretRefPattern.test(value) || secret === undefined) {
        continue;
      }
      files[`${variableSuffix(service.definition.name)}_${variableSuffix(key)}`.toLowerCase()] =
        secret;
    }
  }
  return files;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The compose project of an environment: name, files, env file and variables. */
export function composeProject(
  environment: Environment,
  root: string = projectRoot,
): ComposeProject {
  const override = join(root, "environments", `compose.${environment.name}.yaml`);
  const files = environment.compose?.files
    ? environment.compose.files.map((f) => (isAbsolute(f) ? f : join(root, f)))
    : [join(root, "compose.yaml"), ...(exists(override) ? [override] : [])];
  const envFile = join(root, "environments", `${environment.name}.env`);
  return {
    name: environment.compose?.project ?? `hailmary-${environment.name}`,
    directory: root,
    files,
    envFile: exists(envFile) ? envFile : undefined,
    variables: composeVariables(environment),
  };
}
