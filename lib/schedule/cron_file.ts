import type { Environment } from "../config/mod.ts";
import { join, resolve } from "../posix_path.ts";
import { projectRoot } from "../project_paths.ts";
import { environmentArgument } from "../config/environment_argument.ts";
import { sameAsHostTime } from "./cron_expression.ts";
import type { Schedule } from "./schedule_schema.ts";

/** Where Debian's cron reads system job files. */
export const systemCronDir = "/etc/cron.d";

/**
 * The name of an environment's cron file. cron skips files whose name has a
 * dot, so the name is `hailmary-<env>` (environment names are lower-case
 * letters, digits and '-').
 */
export function cronFileName(environment: Pick<Environment, "name">): string {
  return `hailmary-${environment.name}`;
}

/** The cron file and the temporary twin it is written through (a dotted name cron ignores). */
export function cronFilePaths(
  environment: Pick<Environment, "name">,
  dir: string = systemCronDir,
): { file: string; temp: string } {
  const folder = resolve(dir);
  return {
    file: join(folder, cronFileName(environment)),
    temp: join(folder, `.${cronFileName(environment)}.tmp`),
  };
}

/** A word of a cron command line for /bin/sh, with cron's `%` escaped. */
function shellWord(word: string): string {
  const quoted = /^[A-Za-z0-9_./:=@-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
  return quoted.replace(/%/g, "\\%");
}

/**
 * The text of an environment's cron file: one `schedule:run NAME` line per
 * enabled schedule with the absolute path of `./ops` (cron's PATH is
 * /usr/bin:/bin), and a `schedule:check` line every 5 minutes that reports
 * missed runs when any schedule asks for that. A schedule in a time zone
 * whose offsets differ from the host's (Debian's cron has no CRON_TZ) runs
 * every minute with `--if-due`, which starts the task only in its due
 * minutes. Output goes to `<stateDir>/schedules/cron.log` (runs keep their
 * own logs). With `variables`, each line first reads that file (the values
 * of the environment's `env:` references, see `cron_variables.ts`). Ends with
 * a newline: cron ignores a last line without one.
 */
export function renderCronFile(
  environment: Environment,
  options: { user: string; ops?: string; variables?: string | null } = { user: "root" },
): string {
  // the values of env: references, read before ./ops starts (cron's environment has none)
  const prefix = options.variables ? `set -a; . ${shellWord(options.variables)}; set +a; ` : "";
  const ops = prefix + shellWord(options.ops ?? join(projectRoot, "ops"));
  const env = shellWord(environmentArgument(environment));
  const log = shellWord(join(environment.stateDir, "schedules", "cron.log"));
  const redirect = `>>${log} 2>&1`;
  const lines = [
    `# HailMary Ops: the schedules of environment ${environment.name} (${environment.file})`,
    "# Written by ./ops schedule:install; removed by ./ops schedule:uninstall. Edit the",
    "# environment file's schedules: section and install again instead of this file.",
    "SHELL=/bin/sh",
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  ];
  const schedules = (environment.schedules ?? []).filter((s) => s.enabled);
  for (const schedule of schedules) {
    const direct = sameAsHostTime(schedule.timezone);
    const when = direct ? schedule.cron : "* * * * *";
    const extra = direct ? "" : " --if-due";
    lines.push(
      `# ${schedule.name}: ${[schedule.task, ...schedule.args].join(" ")}${
        schedule.timezone ? ` (${schedule.cron} in ${schedule.timezone})` : ""
      }`,
      `${when} ${options.user} ${ops} schedule:run ${
        shellWord(schedule.name)
      } --env ${env}${extra} ${redirect}`,
    );
  }
  if (schedules.some((s: Schedule) => s.notify.includes("missed"))) {
    lines.push(
      "# reports runs cron did not start (missed) to the webhooks",
      `*/5 * * * * ${options.user} ${ops} schedule:check --env ${env} ${redirect}`,
    );
  }
  return lines.join("\n") + "\n";
}

/** What {@link installCronFile} did. */
export type CronFileChange = "written" | "unchanged" | "removed" | "absent";

/**
 * Writes the cron file when its text differs (mode 0644: cron skips files
 * others may write), through a temporary twin renamed into place, so cron
 * never reads half a file. A second install with the same schedules changes nothing.
 */
export async function installCronFile(
  paths: { file: string; temp: string },
  text: string,
): Promise<CronFileChange> {
  const current = await Deno.readTextFile(paths.file).catch(() => null);
  if (current === text) {
    const mode = (await Deno.stat(paths.file)).mode ?? 0o644;
    if ((mode & 0o022) === 0) return "unchanged";
  }
  await Deno.writeTextFile(paths.temp, text, { mode: 0o644 });
  await Deno.chmod(paths.temp, 0o644);
  await Deno.rename(paths.temp, paths.file);
  return "written";
}

/** Removes the cron file; "absent" when there was none. */
export async function removeCronFile(paths: { file: string }): Promise<CronFileChange> {
  try {
    await Deno.remove(paths.file);
    return "removed";
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "absent";
    throw error;
  }
}

/** True when a cron daemon (Debian's `cron`, or `crond`) runs on this machine. */
export async function cronDaemonRunning(): Promise<boolean> {
  const { listProcesses } = await import("../runtime/proc.ts");
  return (await listProcesses()).some((p) => p.comm === "cron" || p.comm === "crond");
}
