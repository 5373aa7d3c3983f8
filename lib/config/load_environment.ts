import { basename, isAbsolute, join, relative } from "../posix_path.ts";
import { UsageError } from "../errors.ts";
import {
  environmentsDir,
  projectRoot,
  resolveFromRoot,
  resolveTyped,
  typedInFolder,
} from "../project_paths.ts";
import type { AnyServiceDefinition } from "../service/define_service.ts";
import { type GeneratedSecretMode, resolveSecret } from "./secrets.ts";
import { secretRefPattern } from "./secret_pattern.ts";
import { suggest } from "../suggest.ts";
import { loadSnapshot, saveSnapshot } from "./environment_snapshot.ts";
import type { ConfiguredService, Environment } from "./environment.ts";

export type { ConfiguredService, Environment } from "./environment.ts";

/** Options of {@link loadEnvironment}. */
export interface LoadEnvironmentOptions {
  /** `generated:` secrets missing on disk: create them (start paths) or leave them unresolved (read-only paths). */
  generatedSecrets?: GeneratedSecretMode;
  /** Service definitions to use instead of loading `services/`. */
  services?: AnyServiceDefinition[];
  /**
   * Accept a current snapshot of the validated environment (fast path for
   * `status` and `health`; the services it returns can be observed, not launched).
   */
  snapshot?: boolean;
  /** False leaves every secret unresolved (`secrets` stays empty): for checks of the files alone (config:validate). */
  resolveSecrets?: boolean;
}

/** Picks the environment from `--env`, then `OPS_ENV`, then `local`. */
export function selectEnvironment(flag: string | undefined): string {
  return flag ?? Deno.env.get("OPS_ENV") ?? "local";
}

/** True when `--env` names a file (it has a '/' or ends in .yaml or .yml), not a shipped environment. */
export function isEnvironmentPath(nameOrPath: string): boolean {
  return nameOrPath.endsWith(".yaml") || nameOrPath.endsWith(".yml") || nameOrPath.includes("/");
}

/**
 * The absolute file of `--env`: a name is `environments/<name>.yaml` of the
 * checkout; a relative path is taken from the folder the command was typed in
 * (`OPS_CWD`, which `./ops` sets, else this process's folder), as output
 * files are.
 */
export function environmentFile(nameOrPath: string): string {
  return isEnvironmentPath(nameOrPath)
    ? resolveTyped(nameOrPath)
    : join(environmentsDir, `${nameOrPath}.yaml`);
}

/**
 * Loads `environments/<name>.yaml` (or a path to a YAML file, see
 * {@link environmentFile}) and validates it against the environment schema
 * and each service's own settings schema.
 * @throws {UsageError} naming file, line and field of the first problems.
 */
export async function loadEnvironment(
  nameOrPath: string,
  options: LoadEnvironmentOptions = {},
): Promise<Environment> {
  const isPath = isEnvironmentPath(nameOrPath);
  const file = environmentFile(nameOrPath);
  const shown = relative(projectRoot, file).startsWith("..") ? file : relative(projectRoot, file);
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    // a sandbox refusal goes on to the CLI, whose hint names the permission set
    if (error instanceof Deno.errors.NotCapable) throw error;
    if (!(error instanceof Deno.errors.NotFound)) {
      // there, but not readable as a file: a folder, no permission
      throw new UsageError(
        `environment file ${file} cannot be read: ${
          error instanceof Error ? error.message : error
        }`,
        "give the path of a readable YAML file",
      );
    }
    const known = await knownEnvironments();
    if (isPath) {
      const from = isAbsolute(nameOrPath)
        ? ""
        : ` (${JSON.stringify(nameOrPath)} is taken from ${typedInFolder()})`;
      throw new UsageError(
        `environment file ${file} does not exist${from}`,
        "give the file's path from the folder the command is typed in (or an absolute one), " +
          `or the name of a shipped environment: ${known.join(", ")}`,
      );
    }
    const guess = suggest(nameOrPath, known);
    throw new UsageError(
      `unknown environment ${JSON.stringify(nameOrPath)}: ${shown} does not exist`,
      guess
        ? `did you mean '${guess}'? known environments: ${known.join(", ")}`
        : `known environments: ${known.join(", ")}`,
    );
  }
  if (options.snapshot && !options.services) {
    const fast = await loadSnapshot(file, text);
    if (fast) return fast;
  }
  // YAML, zod and the service modules are loaded only here, off the fast path
  const [{ parseLocatedYaml }, { environmentFileSchema }, { loadServices }] = await Promise.all([
    import("./yaml_locations.ts"),
    import("./environment_schema.ts"),
    import("../service/load_services.ts"),
  ]);
  const located = parseLocatedYaml(text, shown);
  const problems: string[] = [];
  const report = (path: ReadonlyArray<PropertyKey>, message: string) => {
    const field = path.length ? path.map(String).join(".") : "(top level)";
    problems.push(`${shown}:${located.lineOf(path)}: ${field}: ${message}`);
  };

  const top = environmentFileSchema.safeParse(located.value);
  if (!top.success) {
    for (const issue of top.error.issues) report(issue.path, issue.message);
    throw validationError(problems);
  }
  const envFile = top.data;
  if (!isPath && envFile.name !== basename(file).replace(/\.ya?ml$/, "")) {
    report(
      ["name"],
      `must equal the file name ${JSON.stringify(basename(file).replace(/\.ya?ml$/, ""))}`,
    );
  }

  const definitions = options.services ?? await loadServices();
  const byName = new Map(definitions.map((d) => [d.name, d]));
  const stateDir = resolveFromRoot(envFile.stateDir);
  const services: ConfiguredService[] = [];
  for (const [name, section] of Object.entries(envFile.services)) {
    const definition = byName.get(name);
    if (!definition) {
      const guess = suggest(name, [...byName.keys()]);
      report(
        ["services", name],
        `unknown service${guess ? `; did you mean '${guess}'?` : ""} (known: ${
          [...byName.keys()].join(", ")
        })`,
      );
      continue;
    }
    const parsed = definition.settings.safeParse(section ?? {});
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        report(["services", name, ...issue.path], issue.message);
      }
      continue;
    }
    const settings = parsed.data as Record<string, unknown>;
    const refused = definition.unsupported?.(settings, envFile.runtime) ?? {};
    for (const [setting, message] of Object.entries(refused)) {
      report(["services", name, setting], message);
    }
    services.push({
      definition,
      settings,
      secrets: {},
      port: definition.port(settings),
      stateDir: join(stateDir, name),
    });
  }
  for (const service of services) {
    for (const dep of Object.keys(service.definition.dependsOn)) {
      if (!services.some((s) => s.definition.name === dep)) {
        report(
          ["services", service.definition.name],
          `depends on ${JSON.stringify(dep)}, which this environment does not configure`,
        );
      }
    }
  }
  // every port a service binds (its own and others, such as OpenSearch's transport port)
  const ports = new Map<number, string>();
  for (const service of services) {
    const name = service.definition.name;
    const bound: [string, number | undefined][] = [
      ["port", service.port],
      ...Object.entries(service.definition.otherPorts?.(service.settings) ?? {}),
    ];
    for (const [setting, port] of bound) {
      if (port === undefined) continue;
      const other = ports.get(port);
      if (other) {
        report(["services", name, setting], `port ${port} is already used by ${other}`);
      }
      ports.set(port, setting === "port" ? name : `${name} (${setting})`);
    }
  }
  if (problems.length) throw validationError(problems);

  const secretsDir = join(stateDir, "secrets");
  for (const service of options.resolveSecrets === false ? [] : services) {
    for (const [key, value] of Object.entries(service.settings)) {
      if (typeof value !== "string" || !secretRefPattern.test(value)) continue;
      const where = `${shown}:${
        located.lineOf(["services", service.definition.name, key])
      } services.${service.definition.name}.${key}`;
      service.secrets[key] = await resolveSecret(value, {
        secretsDir,
        where,
        generated: options.generatedSecrets ?? "read",
      });
    }
  }
  services.sort((a, b) => a.definition.name.localeCompare(b.definition.name));
  const environment: Environment = {
    name: envFile.name,
    file,
    runtime: envFile.runtime,
    protected: envFile.protected,
    stateDir,
    backupDir: resolveFromRoot(envFile.backupDir ?? join("backups", envFile.name)),
    serviceUser: envFile.serviceUser,
    services,
    ...(envFile.compose ? { compose: envFile.compose } : {}),
    ...(envFile.swarm ? { swarm: envFile.swarm } : {}),
    schedules: envFile.schedules,
    notifications: envFile.notifications,
  };
  if (!options.services) await saveSnapshot(environment, text);
  return environment;
}

function validationError(problems: string[]): UsageError {
  return new UsageError(
    `invalid environment file:\n  ${problems.join("\n  ")}`,
    "fix the fields named above and run again",
  );
}

async function knownEnvironments(): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(environmentsDir)) {
      // environment names are lower-case letters, digits and '-' (compose.<env>.yaml is a compose file)
      if (entry.isFile && /^[a-z][a-z0-9-]*\.yaml$/.test(entry.name)) {
        names.push(entry.name.replace(/\.yaml$/, ""));
      }
    }
  } catch {
    // no environments folder
  }
  return names.sort();
}
