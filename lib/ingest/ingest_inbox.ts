import { join } from "../posix_path.ts";
import { errorMessage, UsageError } from "../errors.ts";
import type { Environment } from "../config/mod.ts";
import type { InputBoundary } from "./input_roots.ts";

/** The environment folders the ingestor's boundary refuses (see {@link InputBoundary}). */
export type EnvironmentFolders = Pick<InputBoundary, "stateDir" | "secretsDir" | "backupDir">;

/**
 * The ingestor's inbox: its `inbox` setting, else `<stateDir>/ingestor/inbox`.
 * Always one of its input roots; the native runtime creates it when the
 * ingestor starts. The compose files mount it read-only at the same path in
 * the container (HAILMARY_INGESTOR_INBOX), so a file keeps one path on the
 * host, in the job and in the stored document.
 */
export function inboxOf(settings: Record<string, unknown>, stateDir: string): string {
  return typeof settings.inbox === "string" ? settings.inbox : join(stateDir, "ingestor", "inbox");
}

/**
 * The folders the ingestor reads (its `--allow-read`): the inbox, and under
 * the native runtime the environment's `inputRoots` too (a container has
 * only the inbox mounted).
 */
export function inputRootsOf(
  settings: Record<string, unknown>,
  stateDir: string,
  runtime: Environment["runtime"],
): string[] {
  const inbox = inboxOf(settings, stateDir);
  const extra = runtime === "native" && Array.isArray(settings.inputRoots)
    ? settings.inputRoots.map(String)
    : [];
  return [...new Set([inbox, ...extra])];
}

/** The ingestor's input boundary from its settings and the environment's folders (not resolved). */
export function inputBoundaryOf(
  settings: Record<string, unknown>,
  folders: EnvironmentFolders,
  runtime: Environment["runtime"],
): InputBoundary {
  return { roots: inputRootsOf(settings, folders.stateDir, runtime), ...folders };
}

/**
 * Creates the inbox when it is missing, so a new user can drop files in it.
 * @throws {UsageError} when it cannot be created, or is not a folder.
 */
export async function createInbox(inbox: string): Promise<void> {
  const info = await Deno.stat(inbox).catch(() => undefined);
  if (info?.isDirectory) return;
  const hint =
    "create the folder (mkdir -p), or remove services.ingestor.inbox from the environment file to use <stateDir>/ingestor/inbox";
  if (info) throw new UsageError(`the ingestor's inbox ${inbox} is not a folder`, hint);
  try {
    await Deno.mkdir(inbox, { recursive: true, mode: 0o755 });
  } catch (error) {
    throw new UsageError(
      `cannot create the ingestor's inbox ${inbox}: ${errorMessage(error)}`,
      hint,
    );
  }
}

/** The inbox of an environment's ingestor (see {@link inboxOf}). */
export function ingestInbox(environment: Environment): string {
  return inboxOf(ingestorSettings(environment), environment.stateDir);
}

/** The input boundary of an environment's ingestor (not resolved: see `resolveBoundary`). */
export function ingestInputBoundary(environment: Environment): InputBoundary {
  return inputBoundaryOf(ingestorSettings(environment), {
    stateDir: environment.stateDir,
    secretsDir: join(environment.stateDir, "secrets"),
    backupDir: environment.backupDir,
  }, environment.runtime);
}

function ingestorSettings(environment: Environment): Record<string, unknown> {
  return environment.services.find((s) => s.definition.name === "ingestor")?.settings ?? {};
}
