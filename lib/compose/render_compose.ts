import { composeCommands } from "../runtime/compose_commands.ts";
import type { ComposeProject } from "../runtime/compose_project.ts";
import { type DockerCli, lastLines, runDocker } from "../runtime/docker_cli.ts";
import { type ComposeModel, normaliseModel } from "./compose_model.ts";
import { MissingVariableError } from "./interpolate.ts";
import {
  ComposeFileError,
  type ComposeOrigins,
  loadComposeFiles,
  readEnvFile,
} from "./load_compose_files.ts";

/** Which renderer produces the merged model. */
export type ComposeRenderer = "docker" | "builtin";

/** A rendered compose project, or why it could not be rendered. */
export type RenderedCompose =
  | { ok: true; model: ComposeModel; renderer: ComposeRenderer; origins: ComposeOrigins }
  | {
    ok: false;
    renderer: ComposeRenderer;
    file: string | null;
    line: number | null;
    error: string;
  };

const noOrigins: ComposeOrigins = { of: () => undefined };

/**
 * Renders the merged, interpolated model of a compose project: with
 * `docker compose config --format json` when `renderer` is `docker`, or with
 * the built-in YAML merge (include + overrides) when it is `builtin`, which
 * needs no Docker. Either way the files are also read by the built-in loader,
 * which tells where each service and key is written.
 * @throws {UsageError} when `docker` is asked for and not installed (see {@link availableRenderer}).
 */
export async function renderCompose(
  project: ComposeProject,
  options: { renderer: ComposeRenderer; docker?: DockerCli; variables?: Record<string, string> },
): Promise<RenderedCompose> {
  const variables = options.variables ?? project.variables;
  const envFile = project.envFile ? await readEnvFile(project.envFile) : {};
  const all = { ...envFile, ...Deno.env.toObject(), ...variables };
  let builtin: Awaited<ReturnType<typeof loadComposeFiles>> | undefined;
  let builtinError: RenderedCompose | undefined;
  try {
    builtin = await loadComposeFiles(project.files, project.directory, all);
  } catch (error) {
    if (error instanceof ComposeFileError) {
      builtinError = {
        ok: false,
        renderer: "builtin",
        file: error.file,
        line: error.line ?? null,
        error: error.message,
      };
    } else if (error instanceof MissingVariableError) {
      builtinError = {
        ok: false,
        renderer: "builtin",
        file: null,
        line: null,
        error: error.message,
      };
    } else throw error;
  }
  if (options.renderer === "builtin") {
    return builtinError ??
      {
        ok: true,
        renderer: "builtin",
        model: normaliseModel(builtin!.raw),
        origins: builtin!.origins,
      };
  }
  const cli: DockerCli = options.docker ??
    {
      program: Deno.env.get("OPS_DOCKER") ?? "docker",
      env: { ...Deno.env.toObject(), ...variables },
    };
  const result = await runDocker(
    { ...cli, env: { ...cli.env, ...variables } },
    composeCommands.config(project),
  );
  if (result.code !== 0) {
    return {
      ok: false,
      renderer: "docker",
      file: builtinError?.ok === false ? builtinError.file : null,
      line: builtinError?.ok === false ? builtinError.line : null,
      error: lastLines(result.stderr, 4),
    };
  }
  return {
    ok: true,
    renderer: "docker",
    model: normaliseModel(JSON.parse(result.stdout)),
    origins: builtin?.origins ?? noOrigins,
  };
}

/**
 * `docker` when the Docker CLI and its compose plugin answer, else `builtin`.
 * Never throws: an unusable Docker simply means the built-in renderer.
 */
export async function availableRenderer(cli?: DockerCli): Promise<ComposeRenderer> {
  try {
    const result = await runDocker(
      cli ?? { program: Deno.env.get("OPS_DOCKER") ?? "docker", env: Deno.env.toObject() },
      ["compose", "version", "--short"],
    );
    return result.code === 0 ? "docker" : "builtin";
  } catch {
    return "builtin";
  }
}
