import { basename, join } from "../posix_path.ts";
import type { FoundLeftover } from "../leftovers/mod.ts";
import type { ConfiguredService } from "../config/mod.ts";
import { FailedError } from "../errors.ts";
import type { OneOffContainers, SamePathMount } from "../runtime/one_off_container.ts";
import type { Runtime } from "../runtime/runtime.ts";
import { type ServiceUser, serviceUser } from "../runtime/service_user.ts";
import { tailLines } from "../runtime/log_file.ts";
import {
  findRecoveryScratch,
  recoveryServerArgs,
  recoveryServerGone,
  type RecoveryServerSpec,
  type RecoveryTools,
  startRecoveryServer,
  stopRecoveryServer,
} from "./recovery_server.ts";

/** A recovery server that runs: a native process group or a one-off container. */
export interface RunningRecoveryServer {
  /** The postmaster's pid as this host sees it. */
  pid: number;
  /** The container it runs in, when it runs in one. */
  container: string | null;
  /** Runs psql where the server is (its socket folder). */
  tools: RecoveryTools;
  /** Why it is gone (its last log lines), or undefined while it runs. */
  gone(): Promise<string | undefined>;
  /** A fast shutdown, forced after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
  /** The command an operator types to stop it (a server left running beside the live one). */
  stopCommand: string;
}

/** Where a point-in-time recovery runs: the programs that unpack, the data's owner, the server. */
export interface RecoveryPlace {
  /** tar and pg_verifybackup on the scratch folder. */
  tools: RecoveryTools;
  /** Owner of the recovered data, as the server sees it (undefined: this process's user). */
  user: ServiceUser | undefined;
  /** restore_wal.sh as the server runs it, or undefined for this checkout's. */
  restoreScript: string | undefined;
  /** `listen_addresses` of a server restored beside the live one. */
  listenBeside: string;
  /** The server's socket folder for a data folder (as the server and the recovery's psql see it). */
  socketDir(dataDir: string): string;
  start(spec: RecoveryServerSpec): Promise<RunningRecoveryServer>;
}

/** The native place: programs and server on this host, as the service user. */
export function nativeRecoveryPlace(
  tools: RecoveryTools,
  user: ServiceUser | undefined,
): RecoveryPlace {
  return {
    tools,
    user,
    restoreScript: undefined,
    listenBeside: "127.0.0.1",
    socketDir: (dataDir) => dataDir,
    async start(spec) {
      const pid = await startRecoveryServer(spec);
      return {
        pid,
        container: null,
        tools,
        gone: () => recoveryServerGone(pid, spec.logFile),
        stop: (timeoutMs) => stopRecoveryServer(pid, timeoutMs),
        stopCommand: `kill -INT ${pid}`,
      };
    },
  };
}

/** What a container recovery mounts and publishes. */
export interface ContainerRecoveryOptions {
  /** The scratch folder (the recovered data lives in it), mounted read-write. */
  scratch: string;
  /** The WAL archive (none: a restore test replays only the backup's own WAL) and the base backup's folder, mounted read-only. */
  archiveDir?: string | undefined;
  backupPath: string;
  /** A port published on loopback (a server restored beside the live one). */
  publishPort?: number | undefined;
  signal?: AbortSignal;
}

/** Where the service image keeps restore_wal.sh (services/postgres/Dockerfile). */
const imageRestoreScript = "/usr/local/lib/hailmary/restore_wal.sh";

/**
 * The compose place: tar, pg_verifybackup, psql and the server itself run in
 * one-off containers of the service's own image (the PostgreSQL version of
 * its data; none is needed on the host), on the scratch folder, the archive
 * and the base backup mounted at their own paths. The server runs as the
 * image's postgres user, whose ids own the recovered data, as they own the
 * live data folder.
 * @throws {FailedError} when the runtime runs no images or the image has no postgres user.
 */
export async function containerRecoveryPlace(
  runtime: Runtime,
  service: ConfiguredService,
  options: ContainerRecoveryOptions,
): Promise<RecoveryPlace> {
  if (!runtime.oneOff) {
    throw new FailedError(`the ${runtime.kind} runtime cannot run one-off containers`);
  }
  const containers = await runtime.oneOff(service);
  const user = await imageUser(containers);
  const mounts: SamePathMount[] = [
    { path: options.scratch },
    ...(options.archiveDir ? [{ path: options.archiveDir, readOnly: true }] : []),
    { path: options.backupPath, readOnly: true },
  ];
  const owner = options.scratch;
  const bin = (program: string) => program;
  const tools: RecoveryTools = {
    service,
    bin,
    runtime: { exec: (_service, argv, o = {}) => containers.run({ mounts, owner }, argv, o) },
    ...(options.signal ? { signal: options.signal } : {}),
  };
  return {
    tools,
    user,
    restoreScript: imageRestoreScript,
    // the published port reaches the container on its network address
    listenBeside: "*",
    // inside the container: a scratch folder's path can pass the 107 bytes of a socket's name
    socketDir: () => "/tmp",
    async start(spec) {
      // the scratch folder names the run; a folder beside the live server gets its port too
      const folder = basename(options.scratch).replace(/[^A-Za-z0-9_.-]/g, "-").slice(0, 80);
      const name = `hailmary-pitr-${folder}${
        options.publishPort !== undefined ? `-${options.publishPort}` : ""
      }`;
      await containers.start(name, {
        mounts: mounts.filter((m) => m.path !== options.backupPath),
        owner,
        user: `${user.uid}:${user.gid}`,
        ...(options.publishPort !== undefined ? { publishPort: options.publishPort } : {}),
      }, [
        "sh",
        "-c",
        'exec "$@" >>"$0" 2>&1 </dev/null',
        spec.logFile,
        "postgres",
        ...recoveryServerArgs(spec),
      ]);
      const pid = await containers.mainPid(name);
      if (pid === null) {
        await containers.stop(name, 1);
        const { lines } = await tailLines(spec.logFile, 30);
        throw new FailedError(
          `the recovery server's container ${name} ended at once:\n${lines.join("\n")}`,
        );
      }
      return {
        pid,
        container: name,
        tools: {
          ...tools,
          runtime: { exec: (_service, argv, o = {}) => containers.exec(name, argv, o) },
        },
        gone: () => recoveryServerGone(pid, spec.logFile),
        stop: (timeoutMs = 60_000) => containers.stop(name, Math.ceil(timeoutMs / 1000)),
        stopCommand: `docker stop ${name}`,
      };
    },
  };
}

/**
 * The place of the environment's runtime: natively this host as the service
 * user (`serviceUserName`), on compose one-off containers of the image.
 */
export async function recoveryPlaceFor(
  runtime: Runtime,
  service: ConfiguredService,
  serviceUserName: string,
  options: ContainerRecoveryOptions,
): Promise<RecoveryPlace> {
  if (runtime.kind === "native") {
    return nativeRecoveryPlace(
      { runtime, service, ...(options.signal ? { signal: options.signal } : {}) },
      await serviceUser(serviceUserName),
    );
  }
  return await containerRecoveryPlace(runtime, service, options);
}

/** The ids of the image's postgres user (they own the service's data folder). */
async function imageUser(containers: OneOffContainers): Promise<ServiceUser> {
  const { code, stdout, stderr } = await containers.run(
    { mounts: [] },
    ["sh", "-c", "id -u postgres && id -g postgres"],
  ).output();
  const [uid, gid] = new TextDecoder().decode(stdout).trim().split("\n").map(Number);
  if (code !== 0 || !(uid! > 0) || !(gid! > 0)) {
    throw new FailedError(
      `the image ${containers.image} has no postgres user: ${
        new TextDecoder().decode(stderr).trim()
      }`,
      { hint: "rebuild the service images: ./ops setup --rebuild" },
    );
  }
  return { name: "postgres", uid: uid!, gid: gid! };
}

/**
 * The scratch folders of interrupted restores (see {@link findRecoveryScratch});
 * on a runtime with one-off containers, removing one first removes the
 * containers still running for it (a container outlives the task that
 * started it).
 */
export async function findRecoveryLeftovers(
  runtime: Runtime,
  service: ConfiguredService,
): Promise<FoundLeftover[]> {
  const found = await findRecoveryScratch(service.stateDir);
  const oneOff = runtime.oneOff?.bind(runtime);
  if (!oneOff) return found;
  let containers: Promise<OneOffContainers> | undefined;
  return found.map((item) => ({
    ...item,
    remove: async () => {
      containers ??= oneOff(service);
      await (await containers).removeOwnedBy(join(item.leftover.location, item.leftover.name));
      await item.remove();
    },
  }));
}
