import { basename, join } from "../posix_path.ts";
import type { ConfiguredService } from "../config/mod.ts";
import { FailedError } from "../errors.ts";
import {
  describeOwner,
  type FoundLeftover,
  myOwnerToken,
  ownerState,
  ownerTokenSource,
  parseOwnerToken,
} from "../leftovers/mod.ts";
import { processGroupMembers, readProcStat, sleep } from "../runtime/proc.ts";
import type { Runtime } from "../runtime/runtime.ts";
import { sendSignal } from "../runtime/send_signal.ts";
import { asUser, type ServiceUser } from "../runtime/service_user.ts";
import { launchDetached } from "../runtime/detached_launch.ts";
import { tailLines } from "../runtime/log_file.ts";
import { startClient } from "./run_client.ts";
import { findPostgresBinDir, postgresProgram } from "../service/binaries.ts";

/** Where a recovering server lives and how it is reached. */
export interface RecoveryServerSpec {
  dataDir: string;
  /** Folder of its unix socket (and, natively, nothing else). */
  socketDir: string;
  port: number;
  /** `127.0.0.1` to listen on TCP as well, empty for the socket only. */
  listen: string;
  logFile: string;
  superuser: string;
  /** Extra `-c name=value` settings (restore_command, recovery targets...). */
  settings: Record<string, string>;
  user: ServiceUser | undefined;
}

/** The bits every task needs to run programs for a recovery. */
export interface RecoveryTools {
  /** Where the programs run: the service's runtime, or a one-off container of its image. */
  runtime: Pick<Runtime, "exec">;
  service: ConfiguredService;
  signal?: AbortSignal;
  /** The path of a PostgreSQL program where it runs (default: the host's newest version). */
  bin?: (program: string) => string;
}

/** The path of a PostgreSQL program for `tools`. */
function programPath(tools: RecoveryTools, program: string): string {
  return tools.bin ? tools.bin(program) : postgresProgram(program);
}

/** The `tar` option that decompresses a base backup file, by its name. */
function tarCompression(file: string): string[] {
  if (file.endsWith(".gz")) return ["-z"];
  if (file.endsWith(".lz4")) return ["-I", "lz4"];
  if (file.endsWith(".zst")) return ["-I", "zstd"];
  return [];
}

/**
 * Unpacks a tar base backup (base.tar[.gz|.lz4|.zst] and pg_wal.tar...) into
 * a new data folder owned by the service user: this process reads the catalog
 * and pipes each file into `tar` running as that user, so the catalog stays
 * closed to it and no file needs a chown afterwards.
 * @throws {FailedError} when tar fails.
 */
export async function unpackBaseBackup(
  tools: RecoveryTools,
  files: { base: string; wal: string | null },
  dataDir: string,
  user: ServiceUser | undefined,
  /** The sha256 each file must have (by absolute path): checked on the way, in the same read. */
  expected?: ReadonlyMap<string, string>,
): Promise<void> {
  await Deno.mkdir(dataDir, { mode: 0o700 });
  await Deno.chmod(dataDir, 0o700);
  if (user) await Deno.chown(dataDir, user.uid, user.gid);
  const jobs: [string, string][] = [[files.base, dataDir]];
  if (files.wal) jobs.push([files.wal, join(dataDir, "pg_wal")]);
  for (const [file, into] of jobs) {
    // pg_wal comes from base.tar first; untar the WAL into it once it exists
    await untar(tools, file, into, user, expected?.get(file));
  }
}

async function untar(
  tools: RecoveryTools,
  file: string,
  into: string,
  user: ServiceUser | undefined,
  sha256?: string,
): Promise<void> {
  const client = startClient(tools.runtime, tools.service, [
    ...asUser(user),
    "tar",
    "-x",
    ...tarCompression(file),
    "-f",
    "-",
    "-C",
    into,
  ], { stdin: "piped", ...(tools.signal ? { signal: tools.signal } : {}), attempt: "unpack" });
  const input = await Deno.open(file, { read: true });
  // node:crypto hashes incrementally (WebCrypto cannot); loaded here, off the start-up path
  const hash = sha256 ? (await import("node:crypto")).createHash("sha256") : undefined;
  const hashing = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      hash?.update(chunk);
      controller.enqueue(chunk);
    },
  });
  await Promise.all([
    input.readable.pipeThrough(hashing).pipeTo(client.child.stdin!),
    client.finished,
  ]);
  const found = hash?.digest("hex");
  if (sha256 && found !== sha256) {
    throw new FailedError(
      `${file} does not match its recorded sha256 (recorded ${sha256}, found ${found}): the backup is damaged, nothing live was changed`,
      { hint: "pick another base backup: ./ops postgres:backups" },
    );
  }
}

/**
 * Checks an unpacked base backup against its `backup_manifest` with
 * pg_verifybackup (sizes, CRC32C of every file, and the WAL it needs parses).
 * @throws {FailedError} with pg_verifybackup's findings.
 */
export async function verifyUnpacked(
  tools: RecoveryTools,
  dataDir: string,
  manifest: string,
): Promise<void> {
  await startClient(tools.runtime, tools.service, [
    programPath(tools, "pg_verifybackup"),
    "--quiet",
    "--manifest-path",
    manifest,
    dataDir,
  ], { ...(tools.signal ? { signal: tools.signal } : {}), attempt: "verify the base backup" })
    .finished
    .catch((error) => {
      throw new FailedError(
        `the base backup does not match its backup_manifest: ${
          error instanceof Error ? error.message : error
        }`,
      );
    });
}

/**
 * Starts a PostgreSQL server on an unpacked data folder, as the service user,
 * in its own session and process group (setsid), so it is not tied to this
 * task: a restore beside the live server leaves it running. Returns the
 * postmaster's pid.
 */
export async function startRecoveryServer(spec: RecoveryServerSpec): Promise<number> {
  const bin = findPostgresBinDir();
  const pidFile = `${spec.logFile}.pid`;
  const pid = await launchDetached({
    argv: [...asUser(spec.user), join(bin, "postgres"), ...recoveryServerArgs(spec)],
    cwd: spec.dataDir,
    pidFile,
    logFile: spec.logFile,
    name: "the recovery server",
  });
  await Deno.remove(pidFile).catch(() => {});
  return pid;
}

/** The `-D` and `-c name=value` arguments of a recovery server's postgres. */
export function recoveryServerArgs(spec: RecoveryServerSpec): string[] {
  const settings: Record<string, string> = {
    port: String(spec.port),
    listen_addresses: spec.listen,
    unix_socket_directories: spec.socketDir,
    unix_socket_permissions: "0700",
    archive_mode: "off",
    synchronous_standby_names: "",
    logging_collector: "off",
    log_destination: "stderr",
    hot_standby: "on",
    ...spec.settings,
  };
  return ["-D", spec.dataDir, ...Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`])];
}

/** Runs one query on a recovery server's socket; undefined while it refuses connections. */
export async function queryRecoveryServer(
  tools: RecoveryTools,
  spec: Pick<RecoveryServerSpec, "socketDir" | "port" | "superuser">,
  sql: string,
  database = "postgres",
): Promise<string[][] | undefined> {
  const child = tools.runtime.exec(tools.service, [
    programPath(tools, "psql"),
    "-X",
    "-A",
    "-t",
    "-q",
    "-F",
    "\x1f",
    "-h",
    spec.socketDir,
    "-p",
    String(spec.port),
    "-U",
    spec.superuser,
    "--no-password",
    "-d",
    database,
    "-v",
    "ON_ERROR_STOP=1",
    "-c",
    sql,
  ], { env: { LANG: "C.UTF-8" }, stdout: "piped", stderr: "piped" });
  const { code, stdout, stderr } = await child.output();
  if (code === 2) return undefined; // no connection (yet)
  if (code !== 0) {
    throw new FailedError(
      `query on the recovery server failed: ${new TextDecoder().decode(stderr).trim()}`,
    );
  }
  return new TextDecoder().decode(stdout).split("\n").filter((l) => l !== "").map((l) =>
    l.split("\x1f")
  );
}

/** Why a recovery server is gone (its last log lines), or undefined while it runs. */
export async function recoveryServerGone(
  pid: number,
  logFile: string,
): Promise<string | undefined> {
  const stat = await readProcStat(pid);
  if (stat && !stat.state.startsWith("Z") && !stat.state.startsWith("X")) return undefined;
  const { lines } = await tailLines(logFile, 30);
  return lines.join("\n");
}

/**
 * Stops a server started by {@link startRecoveryServer}: a fast shutdown
 * (SIGINT), then SIGKILL of its process group after `timeoutMs`.
 */
export async function stopRecoveryServer(pid: number, timeoutMs = 60_000): Promise<void> {
  await sendSignal(pid, "SIGINT");
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && (await processGroupMembers(pid)).length > 0) await sleep(100);
  if ((await processGroupMembers(pid)).length > 0) {
    await sendSignal(-pid, "SIGKILL");
    for (let i = 0; i < 50 && (await processGroupMembers(pid)).length > 0; i++) await sleep(100);
  }
}

const scratchPrefix = "pitr-restore-";
const scratchPattern = new RegExp(`^${scratchPrefix}(${ownerTokenSource})$`);

/** A new scratch folder name for a restore, naming this run (`pitr-restore-<pid>_<start>_<host>`). */
export async function recoveryScratchName(): Promise<string> {
  return `${scratchPrefix}${await myOwnerToken()}`;
}

/**
 * The scratch folders of restores under a service's state folder, stale when
 * their run is gone. Removing one first ends the server still running in it.
 */
export async function findRecoveryScratch(stateDir: string): Promise<FoundLeftover[]> {
  const found: FoundLeftover[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(stateDir));
  } catch {
    return found;
  }
  for (const entry of entries) {
    const m = scratchPattern.exec(entry.name);
    const owner = m ? parseOwnerToken(m[1]!) : undefined;
    if (!entry.isDirectory || !owner) continue;
    const state = await ownerState(owner);
    const dir = join(stateDir, entry.name);
    found.push({
      leftover: {
        service: basename(stateDir),
        kind: "restore scratch folder",
        name: entry.name,
        location: stateDir,
        owner: describeOwner(owner, state),
        stale: state === "dead",
      },
      remove: async () => {
        const text = await Deno.readTextFile(join(dir, "data", "postmaster.pid")).catch(() => "");
        const pid = Number(text.split("\n")[0]);
        // only a server of this folder: a container's postmaster.pid holds a pid of its own namespace
        if (pid > 1 && (await commandLine(pid)).includes(join(dir, "data"))) {
          await sendSignal(-pid, "SIGKILL");
          for (let i = 0; i < 50 && (await processGroupMembers(pid)).length > 0; i++) {
            await sleep(100);
          }
        }
        await Deno.remove(dir, { recursive: true });
      },
    });
  }
  return found;
}

/** The command line of a process (arguments joined by spaces), empty when it is gone. */
async function commandLine(pid: number): Promise<string> {
  const raw = await Deno.readTextFile(`/proc/${pid}/cmdline`).catch(() => "");
  return raw.split("\0").join(" ");
}
