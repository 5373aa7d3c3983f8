import { join } from "../path.ts";
import type { Environment } from "../config/mod.ts";

/**
 * The folder a containerised ingestor reads files from: the ingestor's
 * `inbox` setting, else `<stateDir>/ingestor/inbox`. The compose files mount
 * it read-only at the same path in the container (HAILMARY_INGESTOR_INBOX), so
 * a file keeps one path on the host, in the job and in the stored document.
 */
export function ingestInbox(environment: Environment): string {
  const configured = ingestorSettings(environment).inbox;
  return typeof configured === "string"
    ? configured
    : join(environment.stateDir, "ingestor", "inbox");
}

/**
 * The folders the environment's ingestor can read: the inbox when it runs in
 * a container, else its `inputRoots` (its --allow-read).
 */
export function ingestReadRoots(environment: Environment): string[] {
  if (environment.runtime === "compose") return [ingestInbox(environment)];
  const roots = ingestorSettings(environment).inputRoots;
  return Array.isArray(roots) ? roots.map(String) : ["/"];
}

function ingestorSettings(environment: Environment): Record<string, unknown> {
  return environment.services.find((s) => s.definition.name === "ingestor")?.settings ?? {};
}
