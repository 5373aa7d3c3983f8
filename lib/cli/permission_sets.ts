/**
 * The Deno permission sets of deno.json, as data: `scripts/sync_deno_tasks.ts`
 * writes them and a test keeps deno.json equal to them. Operator sets name
 * every program and folder; nothing is `true` but `read` and `env`.
 *
 * Deno matches a program by the exact path it resolves to (no symbolic link
 * is followed), so the PostgreSQL programs, run from Debian's versioned
 * folder, are listed by their absolute paths, and Deno itself (the CLI runs
 * itself again with a narrow grant, see `rerun_with_grants.ts`) by the paths
 * `./ops` installs it at. Relative paths are relative to deno.json.
 * @module
 */

/** One permission set of deno.json. */
export interface PermissionSet {
  read: true | string[];
  env: true | string[];
  net: string[];
  sys: string[];
  run: true | string[];
  write: true | string[];
}

const loopback = ["127.0.0.1", "localhost", "[::1]"];
const sysInfo = ["uid", "gid", "hostname", "loadavg", "osUptime"];

/** Where `./ops` installs the pinned Deno (the npm package's binary, per platform). */
export const denoBinaries: readonly string[] = [
  ".ops/tools/node_modules/deno/deno",
  ".ops/tools/node_modules/@deno/linux-x64-glibc/deno",
  ".ops/tools/node_modules/@deno/linux-arm64-glibc/deno",
];

/**
 * The project's `./ops`: `schedule:run` starts a scheduled task through it, so
 * the task runs under its own permission set, as an operator's run does.
 */
export const opsEntry = "./ops";

/** PostgreSQL major versions whose Debian folders (`/usr/lib/postgresql/N/bin`) are allowed. */
export const postgresVersions: readonly number[] = [13, 14, 15, 16, 17];

/** The PostgreSQL programs tasks run (the server runs under setsid, not from Deno). */
export const postgresPrograms: readonly string[] = [
  "initdb",
  "psql",
  "pg_dump",
  "pg_restore",
  // point-in-time recovery: base backups, their check, the WAL receiver
  "pg_basebackup",
  "pg_verifybackup",
  "pg_waldump",
  "pg_receivewal",
];

/** Programs that only read the process table and sockets. */
const inspectors = ["ps", "ss"];

/**
 * Programs the `ops` set may run: the process tools of the native runtime
 * (setsid starts a service in its own session, setpriv drops root, kill
 * stops a process group: Deno's own `Deno.kill` needs every program), the
 * PostgreSQL clients and Deno (web:build, the CLI's own narrow re-run).
 * Docker is not here: the CLI grants it for compose environments only.
 */
function opsPrograms(): string[] {
  const postgres = postgresVersions.flatMap((v) =>
    postgresPrograms.map((p) => `/usr/lib/postgresql/${v}/bin/${p}`)
  );
  // tar unpacks base backups (decompressing through gzip, lz4 or zstd); openssl hashes
  // backup files with the CPU's SHA instructions
  return [
    ...inspectors,
    "setsid",
    "setpriv",
    "kill",
    "tar",
    "openssl",
    ...postgres,
    ...denoBinaries,
    opsEntry,
  ];
}

/**
 * The folders (relative to the project) the `ops` set may write: the shipped
 * environments' state folders, the snapshot cache, the remembered grants and
 * the backup catalog. An environment keeping its state or backups elsewhere
 * gets exactly those folders granted for its run (remembered for `./ops`).
 */
export const opsWritable: readonly string[] = [
  ".ops/local",
  ".ops/staging",
  ".ops/production",
  ".ops/cluster",
  ".ops/snapshots",
  ".ops/grants",
  "backups",
];

/** The permission sets, by name. */
export function permissionSets(): Record<"observe" | "ops" | "setup" | "cluster", PermissionSet> {
  return {
    // status, health, logs, listings: read, loopback, the process table; no program that changes anything
    observe: {
      read: true,
      env: true,
      net: loopback,
      sys: sysInfo,
      // df: metrics reports the free space of the backup folder's file system
      run: [...inspectors, "df", ...denoBinaries],
      write: [".ops/snapshots"],
    },
    // actions: named programs, the default state and backup folders (others are granted per run)
    ops: {
      read: true,
      env: true,
      net: loopback,
      sys: [...sysInfo, "osRelease"],
      run: opsPrograms(),
      write: [...opsWritable],
    },
    // cluster:create/destroy: network namespaces and links (ip), the nodes' daemons (setsid runs
    // them in their namespaces; ps and kill stop them), their engines (docker), what a crash left mounted (findmnt, umount), the
    // nodes' sockets under /run/hailmary and this host's IP forwarding (sysctl), put back as recorded
    cluster: {
      read: true,
      env: true,
      net: loopback,
      sys: sysInfo,
      run: ["ip", "setsid", "docker", "findmnt", "umount", "sysctl", "ps", "kill", ...denoBinaries],
      write: ["/run/hailmary"],
    },
    // setup installs system packages (apt-get, go install, dockerd): it is the installer, not an operator set
    setup: {
      read: true,
      write: true,
      env: true,
      run: true,
      net: loopback,
      sys: [...sysInfo, "osRelease"],
    },
  };
}
