/**
 * Test stacks: each suite runs its own services in a temporary state folder
 * on free ports, so it never collides with a stack already on the machine.
 */
import { join } from "node:path";
import { stringify } from "yaml";
import postgres from "postgres";

/** The project root (tests run from it). */
export const root: string = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

const handedOut = new Set<number>();

/**
 * A port nobody listens on right now, and one this test process has not handed
 * out before: two settings of one server (OpenSearch's HTTP and transport
 * ports) never get the same number.
 */
export function freePort(): number {
  for (;;) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

/** A temporary environment file and its folders. */
export interface TestEnvironment {
  /** Path of the environment YAML (pass as `--env`). */
  file: string;
  /** The temporary folder holding everything. */
  dir: string;
  stateDir: string;
  backupDir: string;
  ports: Record<string, number>;
  /** Removes the folder (after `down`). */
  remove(): Promise<void>;
}

/** Options of {@link createTestEnvironment}. */
export interface TestEnvironmentOptions {
  /** Services to configure (default postgres, redis, opensearch). */
  services?: string[];
  /** Extra settings per service. */
  settings?: Record<string, Record<string, unknown>>;
  /** Environment name (default "test"). */
  name?: string;
  protected?: boolean;
}

/** Writes a temporary environment with free ports; folders are traversable for the service user. */
export async function createTestEnvironment(
  options: TestEnvironmentOptions = {},
): Promise<TestEnvironment> {
  const dir = await Deno.makeTempDir({ prefix: "hailmary-test-" });
  await Deno.chmod(dir, 0o755);
  const services = options.services ?? ["postgres", "redis", "opensearch"];
  const ports: Record<string, number> = {};
  const sections: Record<string, Record<string, unknown>> = {};
  for (const name of services) {
    ports[name] = freePort();
    const section: Record<string, unknown> = { port: ports[name] };
    if (name === "opensearch") Object.assign(section, { transportPort: freePort(), heap: "512m" });
    if (name === "postgres") Object.assign(section, { sharedBuffers: "64MB" });
    sections[name] = { ...section, ...(options.settings?.[name] ?? {}) };
  }
  const stateDir = join(dir, "state");
  const backupDir = join(dir, "backups");
  const name = options.name ?? "test";
  const file = join(dir, `${name}.yaml`);
  await Deno.writeTextFile(
    file,
    stringify({
      name,
      runtime: "native",
      protected: options.protected ?? false,
      stateDir,
      backupDir,
      services: sections,
    }),
  );
  return {
    file,
    dir,
    stateDir,
    backupDir,
    ports,
    remove: () => Deno.remove(dir, { recursive: true }).catch(() => {}),
  };
}

/** The outcome of one CLI run. */
export interface OpsRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `./ops <args> --env <file>` as the operator does (a real process, no
 * TTY): through the wrapper, under the task's own permission set of
 * deno.json, so a missing or excess permission fails the test.
 */
export async function ops(
  envFile: string,
  args: string[],
  options: {
    stdin?: string;
    env?: Record<string, string>;
    timeoutMs?: number;
    /** The folder the command is typed in (default the project). */
    cwd?: string;
  } = {},
): Promise<OpsRun> {
  const child = new Deno.Command(join(root, "ops"), {
    args: [...args, "--env", envFile],
    cwd: options.cwd ?? root,
    env: { NO_COLOR: "1", ...(options.env ?? {}) },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(options.timeoutMs ?? 300_000),
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  return {
    code,
    stdout: new TextDecoder().decode(stdout),
    stderr: new TextDecoder().decode(stderr),
  };
}

/** Like {@link ops}, and fails the test with stderr when the exit code is not `expected`. */
export async function opsOk(
  envFile: string,
  args: string[],
  expected = 0,
  options: Parameters<typeof ops>[2] = {},
): Promise<OpsRun> {
  const run = await ops(envFile, args, options);
  if (run.code !== expected) {
    throw new Error(
      `ops ${
        args.join(" ")
      } exited ${run.code} (expected ${expected}):\n${run.stderr}\n${run.stdout}`,
    );
  }
  return run;
}

/** Live (non-zombie) processes whose command line mentions `text`. */
export async function processesMentioning(text: string): Promise<string[]> {
  const { stdout } = await new Deno.Command("ps", {
    args: ["-e", "-o", "pid=,stat=,args="],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(stdout).split("\n")
    .filter((l) => l.includes(text) && !/^\s*\d+\s+Z/.test(l) && !l.includes("ps -e"));
}

/**
 * SIGKILL to a native service's whole process group (a crash of the server
 * and every process it started), read from its pid file.
 */
export async function killServiceGroup(stateDir: string, service: string): Promise<void> {
  const pid = Number(
    (await Deno.readTextFile(join(stateDir, service, "run", "service.pid"))).trim(),
  );
  if (!(pid > 1)) throw new Error(`no pid of ${service} to kill (read ${pid})`);
  // "--": procps kill takes "-PID" without it for an option and signals nothing
  const killed = await new Deno.Command("kill", { args: ["-s", "KILL", "--", `-${pid}`] }).output();
  if (!killed.success) throw new Error(`kill -s KILL -- -${pid} failed`);
}

/** A connection to a test environment's app database as the app user, over TCP. */
export async function appSql(env: TestEnvironment): Promise<postgres.Sql> {
  const password = (await Deno.readTextFile(join(env.stateDir, "secrets", "postgres-app-password")))
    .trim();
  return postgres({
    host: "127.0.0.1",
    port: env.ports.postgres!,
    user: "app",
    database: "app",
    password,
    max: 2,
    onnotice: () => {},
  });
}
