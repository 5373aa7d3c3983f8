import { join } from "../posix_path.ts";
import type { Environment } from "../config/mod.ts";
import { FailedError } from "../errors.ts";
import type { Output } from "../output/output.ts";
import { findJavaHome, findPostgresBinDir, opensearchHome } from "../service/binaries.ts";

/** Something the native runtime needs on this machine. */
export interface Requirement {
  /** What it is, for the operator. */
  name: string;
  /** True when it is already present. */
  present: () => boolean;
  /** Debian packages that provide it (installed together with apt-get). */
  aptPackages?: string[];
  /** An install step that is not a Debian package. */
  install?: (output: Output) => Promise<void>;
}

/** The outcome of one requirement in a setup run. */
export interface RequirementResult {
  name: string;
  action: "present" | "installed";
}

/** The OpenSearch version an environment uses (the default when it configures none). */
export function opensearchVersion(environment?: Environment): string {
  const configured = environment?.services.find((s) => s.definition.name === "opensearch")?.settings
    .version;
  return typeof configured === "string" ? configured : "2.19.6";
}

/** Everything the embedded default (native runtime) needs on Debian. */
export function nativeRequirements(
  options: { environment?: Environment; serviceUser?: string } = {},
): Requirement[] {
  const user = options.serviceUser ?? options.environment?.serviceUser ?? "hailmary";
  const version = opensearchVersion(options.environment);
  return [
    {
      name: "PostgreSQL server",
      present: () => succeeds(findPostgresBinDir),
      aptPackages: ["postgresql"],
    },
    {
      name: "Redis server",
      present: () => onPath("redis-server") && onPath("redis-cli"),
      aptPackages: ["redis-server"],
    },
    {
      name: "Java 17 runtime",
      present: () => succeeds(findJavaHome),
      aptPackages: ["openjdk-17-jre-headless"],
    },
    {
      name: "Maven (fetches OpenSearch)",
      present: () => onPath("mvn") || isInstalled(opensearchHome(version)),
      aptPackages: ["maven"],
    },
    {
      name: "unzip",
      present: () => onPath("unzip") || isInstalled(opensearchHome(version)),
      aptPackages: ["unzip"],
    },
    {
      name: "util-linux (setsid, setpriv)",
      present: () => onPath("setsid") && onPath("setpriv"),
      aptPackages: ["util-linux"],
    },
    { name: "curl (shell health baseline)", present: () => onPath("curl"), aptPackages: ["curl"] },
    { name: "tmux (dashboard tests)", present: () => onPath("tmux"), aptPackages: ["tmux"] },
    {
      name: "cron (runs the schedules)",
      present: () => exists("/usr/sbin/cron") && exists("/etc/cron.d"),
      aptPackages: ["cron"],
    },
    {
      name: "cron daemon running",
      // only the installer starts it (a task's permission set may not); a service manager starts its own
      present: () =>
        !exists("/usr/sbin/cron") || cronDaemonRuns() || serviceManagerRuns() ||
        Deno.permissions.querySync({ name: "run", command: "/usr/sbin/cron" }).state !== "granted",
      install: async () => {
        // Debian's cron detaches itself; it reads /etc/cron.d every minute
        await run(["/usr/sbin/cron"]);
      },
    },
    {
      name: "Prometheus and promtool (monitoring checks)",
      present: () => onPath("prometheus") && onPath("promtool"),
      aptPackages: ["prometheus"],
    },
    {
      name: "Chromium (search page browser tests)",
      present: () => exists("/usr/bin/chromium"),
      aptPackages: ["chromium"],
    },
    {
      name: `service user '${user}'`,
      present: () => Deno.uid() !== 0 || userExists(user),
      install: async () => {
        await run([
          "useradd",
          "--system",
          "--user-group",
          "--no-create-home",
          "--home-dir",
          "/nonexistent",
          "--shell",
          "/usr/sbin/nologin",
          user,
        ]);
      },
    },
    {
      name: `OpenSearch ${version} minimal distribution`,
      present: () => isInstalled(opensearchHome(version)),
      install: (output) => installOpenSearch(version, output),
    },
  ];
}

async function installOpenSearch(version: string, output: Output): Promise<void> {
  const home = opensearchHome(version);
  const cache = join(home, "..");
  const download = join(cache, "download");
  await Deno.mkdir(download, { recursive: true });
  output.info(
    `fetching org.opensearch.distribution.integ-test-zip:opensearch:${version}:zip with Maven`,
  );
  await run([
    "mvn",
    "-q",
    "-B",
    "dependency:copy",
    `-Dartifact=org.opensearch.distribution.integ-test-zip:opensearch:${version}:zip`,
    `-DoutputDirectory=${download}`,
  ]);
  const zip = join(download, `opensearch-${version}.zip`);
  const staging = join(cache, `.unpack-${version}-${Deno.pid}`);
  await Deno.remove(staging, { recursive: true }).catch(() => {});
  await run(["unzip", "-q", zip, "-d", staging]);
  const inner = join(staging, `opensearch-${version}`);
  await Deno.remove(home, { recursive: true }).catch(() => {});
  await Deno.rename(inner, home);
  await Deno.remove(staging, { recursive: true }).catch(() => {});
  await Deno.remove(zip).catch(() => {});
  // the service user only needs to read it
  await run(["chmod", "-R", "a+rX", home]);
}

/** Program names of the running processes, read with `ps` (Deno grants /proc only with every permission). */
function processNames(): string[] | undefined {
  try {
    const { success, stdout } = new Deno.Command("ps", {
      args: ["-e", "-o", "pid=,comm="],
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    if (!success) return undefined;
    return new TextDecoder().decode(stdout).split("\n").map((l) => l.trim()).filter((l) => l);
  } catch {
    return undefined;
  }
}

/** True when a cron daemon runs (or that cannot be told: then none is started). */
function cronDaemonRuns(): boolean {
  const names = processNames();
  return names === undefined || names.some((l) => /^\d+\s+(cron|crond)$/.test(l));
}

/** True when PID 1 is a service manager that starts cron itself (systemd, sysvinit, OpenRC). */
function serviceManagerRuns(): boolean {
  const first = processNames()?.find((l) => /^1\s/.test(l));
  return first !== undefined && /^1\s+(systemd|init|openrc-init)$/.test(first);
}

function isInstalled(home: string): boolean {
  return exists(join(home, "bin", "opensearch")) && exists(join(home, "lib"));
}

/** True when a program is on PATH. */
export function onPath(program: string): boolean {
  const path = Deno.env.get("PATH") ?? "/usr/bin:/bin";
  return path.split(":").some((dir) => exists(join(dir, program)));
}

function succeeds(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
}

function userExists(name: string): boolean {
  try {
    return Deno.readTextFileSync("/etc/passwd").split("\n").some((l) => l.startsWith(`${name}:`));
  } catch {
    return false;
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Runs a program to completion, inheriting nothing but the environment. @throws {FailedError} with the tail of its output. */
export async function run(argv: string[], env: Record<string, string> = {}): Promise<void> {
  const [program, ...args] = argv;
  const { code, stdout, stderr } = await new Deno.Command(program!, {
    args,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    const text = (new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr)).trim().split(
      "\n",
    ).slice(-10).join("\n    ");
    throw new FailedError(`${argv.slice(0, 3).join(" ")} exited with ${code}:\n    ${text}`);
  }
}
