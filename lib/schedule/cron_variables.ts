import type { Environment } from "../config/mod.ts";
import { dirname, join } from "../posix_path.ts";

/**
 * cron starts jobs with an almost empty environment, so secrets given as
 * `env:NAME` (a staging password, a webhook URL) would be missing from every
 * scheduled run. `schedule:install` keeps the values those references have
 * when it runs in a file beside the generated secrets
 * (`<stateDir>/secrets/cron-<env>.env`, 0600 in the 0700 secrets folder), and
 * each cron line reads it before it starts `./ops`; the cron file itself
 * (world-readable) holds no value.
 */
export function cronVariablesPath(environment: Pick<Environment, "name" | "stateDir">): string {
  return join(environment.stateDir, "secrets", `cron-${environment.name}.env`);
}

/** The variable names the environment's `env:` references use (settings and webhooks). */
export function cronVariableNames(environment: Environment): string[] {
  const names = new Set<string>();
  const add = (value: unknown) => {
    const match = typeof value === "string" ? /^env:(.+)$/.exec(value) : null;
    if (match) names.add(match[1]!);
  };
  for (const service of environment.services) Object.values(service.settings).forEach(add);
  for (const webhook of environment.notifications?.webhooks ?? []) add(webhook.url);
  return [...names].sort();
}

function shellValue(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** What {@link writeCronVariables} did: the names kept, the names unset now (runs will lack them). */
export interface CronVariables {
  path: string | null;
  kept: string[];
  missing: string[];
  changed: boolean;
}

/**
 * Writes the values the environment's `env:` references have now (only when
 * they differ from the file's), or removes the file when there are none.
 */
export async function writeCronVariables(environment: Environment): Promise<CronVariables> {
  const path = cronVariablesPath(environment);
  const names = cronVariableNames(environment);
  const kept = names.filter((n) => (Deno.env.get(n) ?? "") !== "");
  const missing = names.filter((n) => !kept.includes(n));
  const current = await Deno.readTextFile(path).catch(() => null);
  if (kept.length === 0) {
    if (current !== null) await Deno.remove(path).catch(() => {});
    return { path: null, kept, missing, changed: current !== null };
  }
  const text = [
    "# written by ./ops schedule:install: the env: references of the environment, for cron",
    ...kept.map((n) => `${n}=${shellValue(Deno.env.get(n)!)}`),
    "",
  ].join("\n");
  if (current === text) return { path, kept, missing, changed: false };
  await Deno.mkdir(dirname(dirname(path)), { recursive: true, mode: 0o755 });
  await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(temp, text, { mode: 0o600 });
  await Deno.chmod(temp, 0o600);
  await Deno.rename(temp, path);
  return { path, kept, missing, changed: true };
}

/** Removes the variables file (uninstall). */
export async function removeCronVariables(
  environment: Pick<Environment, "name" | "stateDir">,
): Promise<void> {
  await Deno.remove(cronVariablesPath(environment)).catch(() => {});
}
