// Benchmark: point-in-time recovery against pgBackRest (Debian package 2.45), side by side in one
// run, on a pgbench database of at least 1 GB in a private stack (archive mode).
//
//   base backup     ./ops postgres:backup --physical --compression lz4-1   (pg_basebackup, then
//                   unpacked once and checked with pg_verifybackup)
//                   vs pgbackrest backup --type=full (compress-type lz4, level 1, start-fast)
//   PITR restore    ./ops postgres:restore --to-time T --port P --target-dir D (until promoted)
//                   vs pgbackrest restore --type=time --target=T + start the server (until promoted)
//   WAL archiving   archive_wal.sh vs pgbackrest archive-push on the same finished segments
//                   (segments/s), and the archive lag under a pgbench write load
//   RPO             kill -9 of the server group and loss of its data folder under a write load;
//                   committed (acknowledged) transactions missing after restore --latest
//
// Both tools archive at once (archive_command runs ours, then pgbackrest archive-push) while the
// backups and restores are measured, so each has its own complete archive.
//
// Usage (from the project root, as root; installs pgbackrest with apt-get when it is missing):
//   deno run -A bench/pitr/run.ts [--scale 70] [--rounds 2] [--load-seconds 20] [--keep]
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { join } from "../../lib/posix_path.ts";
import { findPostgresBinDir } from "../../lib/service/binaries.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    scale: { type: "string", default: "70" },
    rounds: { type: "string", default: "2" },
    "load-seconds": { type: "string", default: "20" },
    keep: { type: "boolean", default: false },
    // a subset of: backup,restore,push,lag,rpo,stream (stream: RPO of stream mode + synchronous)
    phases: { type: "string", default: "backup,restore,push,lag,rpo,stream" },
  },
});
const scale = Number(values.scale);
const rounds = Number(values.rounds);
const loadSeconds = Number(values["load-seconds"]);
const phases = new Set(values.phases!.split(","));

const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const benchDir = Deno.env.get("BENCH_DIR") ?? "/tmp/hailmary-bench-pitr";
const bin = findPostgresBinDir();
const envFile = join(benchDir, "bench.yaml");
const pgbr = join(benchDir, "pgbackrest");
const pgbrConf = join(pgbr, "pgbackrest.conf");
const stateDir = join(benchDir, "state");
const dataDir = join(stateDir, "postgres", "data");
const socket = join(stateDir, "postgres", "socket");
const walArchive = join(benchDir, "backups", "postgres-wal");
const archiveScript = join(root, "services", "postgres", "archive_wal.sh");

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function sh(program: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(program, { args, env, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(
      `${program} ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}${
        new TextDecoder().decode(out.stdout)
      }`,
    );
  }
  return new TextDecoder().decode(out.stdout);
}

async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const began = performance.now();
  const value = await fn();
  return { seconds: (performance.now() - began) / 1000, value };
}

const ops = (args: string[]) =>
  sh(Deno.execPath(), [
    "run",
    "-q",
    "-P=ops",
    join(root, "tasks", "cli.ts"),
    ...args,
    "--env",
    envFile,
  ]);

// pgBackRest from Debian (the baseline): installed here when missing
if (!(await new Deno.Command("sh", { args: ["-c", "command -v pgbackrest"] }).output()).success) {
  console.log("installing pgbackrest (apt-get)...");
  await sh("apt-get", ["install", "-y", "-q", "pgbackrest"], {
    DEBIAN_FRONTEND: "noninteractive",
    PATH: Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin",
  });
}

// the service user (pgBackRest and the servers run as it, like the stack's postgres)
const passwd = await Deno.readTextFile("/etc/passwd");
const [, , uid = "", gid = ""] = passwd.split("\n").find((l) => l.startsWith("hailmary:"))!
  .split(":");
const asUser = ["setpriv", `--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", "--"];
const pgbackrest = (args: string[]) =>
  sh(asUser[0]!, [...asUser.slice(1), "pgbackrest", `--config=${pgbrConf}`, ...args]);

await Deno.mkdir(benchDir, { recursive: true, mode: 0o755 });
await Deno.chmod(benchDir, 0o755);
let fresh = false;
try {
  await Deno.stat(envFile);
} catch {
  fresh = true;
  await Deno.writeTextFile(
    envFile,
    stringify({
      name: "bench",
      runtime: "native",
      stateDir,
      backupDir: join(benchDir, "backups"),
      services: {
        postgres: {
          port: freePort(),
          sharedBuffers: "128MB",
          pitr: { mode: "archive", archiveTimeout: 60 },
        },
      },
    }),
  );
}
const port = (await Deno.readTextFile(envFile)).match(/port: (\d+)/)![1]!;
const conn = ["-h", socket, "-p", port, "-U", "postgres"];
const psql = (sql: string, db = "app", c = conn) =>
  sh(join(bin, "psql"), [...c, "-d", db, "-XAtqc", sql]).then((s) => s.trim());

console.log(`stack: ${envFile}`);
await ops(["postgres:start"]);

// pgBackRest: its own repo, log, lock and spool folders, owned by the service user
for (const d of ["repo", "log", "lock", "spool"]) {
  await Deno.mkdir(join(pgbr, d), { recursive: true });
}
await Deno.writeTextFile(
  pgbrConf,
  [
    "[global]",
    `repo1-path=${join(pgbr, "repo")}`,
    `log-path=${join(pgbr, "log")}`,
    `lock-path=${join(pgbr, "lock")}`,
    `spool-path=${join(pgbr, "spool")}`,
    "compress-type=lz4",
    "compress-level=1",
    "start-fast=y",
    "process-max=1",
    "log-level-console=warn",
    "log-level-file=info",
    "repo1-retention-full=9",
    "",
    "[bench]",
    `pg1-path=${dataDir}`,
    `pg1-socket-path=${socket}`,
    `pg1-port=${port}`,
    "pg1-user=postgres",
    "",
  ].join("\n"),
);
await sh("chown", ["-R", `${uid}:${gid}`, pgbr]);

const both =
  `${archiveScript} "%p" "%f" ${walArchive} && pgbackrest --config=${pgbrConf} --stanza=bench archive-push "%p"`;
const setArchiveCommand = async (command: string | null) => {
  await psql(
    command === null
      ? "alter system reset archive_command"
      : `alter system set archive_command = '${command.replace(/'/g, "''")}'`,
    "postgres",
  );
  await psql("select pg_reload_conf()", "postgres");
  await new Promise((r) => setTimeout(r, 500));
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const results: string[] = [];
const report = (line: string) => {
  console.log(line);
  results.push(line);
};

try {
  if (fresh || (await psql("select to_regclass('pgbench_accounts') is null")) === "t") {
    console.log(`pgbench -i -s ${scale} (once; --keep reuses it)...`);
    await sh(join(bin, "pgbench"), [...conn, "-i", "-q", "-s", String(scale), "app"]);
  }
  const bytes = Number(await psql("select pg_database_size('app')"));
  console.log(`database app: ${(bytes / 1024 ** 3).toFixed(2)} GiB`);
  if (!(phases.size === 1 && phases.has("stream"))) {
    await setArchiveCommand(both);
    await pgbackrest(["--stanza=bench", "stanza-create"]).catch(() => {});
    await pgbackrest(["--stanza=bench", "check"]);
  }

  const load = (seconds: number, clients = 2) =>
    sh(join(bin, "pgbench"), [
      ...conn,
      "-n",
      "-c",
      String(clients),
      "-j",
      String(clients),
      "-T",
      String(seconds),
      "app",
    ]);

  // --- RPO: acknowledged commits lost after kill -9 and loss of the data folder
  const rpo = async (tool: "ours" | "pgbackrest" | "stream") => {
    if (tool !== "stream") {
      await setArchiveCommand(
        tool === "ours"
          ? `${archiveScript} "%p" "%f" ${walArchive}`
          : `pgbackrest --config=${pgbrConf} --stanza=bench archive-push "%p"`,
      );
    }
    await psql("create table if not exists rpo (tool text, n int)");
    await psql("truncate rpo");
    if (tool === "pgbackrest") {
      await pgbackrest(["--stanza=bench", "backup", "--type=full"]);
    } else await ops(["postgres:backup", "--physical", "--compression", "lz4-1"]);
    const acked: number[] = [];
    let stop = false;
    const writer = (async () => {
      const { default: postgres } = await import("postgres");
      const sql = postgres({
        path: join(socket, `.s.PGSQL.${port}`),
        user: "postgres",
        database: "app",
        max: 1,
        onnotice: () => {},
      });
      for (let n = 0; !stop; n++) {
        try {
          await sql`insert into rpo values (${tool}, ${n})`;
          acked.push(n);
        } catch {
          break;
        }
      }
      await sql.end({ timeout: 0 }).catch(() => {});
    })();
    const bulk = load(30, 2).catch(() => "");
    await new Promise((r) => setTimeout(r, 15_000));
    const pid = (await Deno.readTextFile(join(stateDir, "postgres", "run", "service.pid"))).trim();
    // "--": procps kill takes "-PID" without it for an option and signals nothing
    await sh("kill", ["-s", "KILL", "--", `-${pid}`]);
    stop = true;
    await Promise.all([writer, bulk]);
    await Deno.remove(dataDir, { recursive: true });
    if (tool !== "pgbackrest") {
      await ops(["postgres:restore", "--latest", "--yes"]);
    } else {
      await ops(["postgres:stop"]);
      await Deno.mkdir(dataDir, { mode: 0o700 });
      await sh("chown", [`${uid}:${gid}`, dataDir]);
      await pgbackrest(["--stanza=bench", "restore"]);
      await ops(["postgres:start"]);
      while ((await psql("select pg_is_in_recovery()", "postgres").catch(() => "t")) !== "f") {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const back = new Set(
      (await psql(`select n from rpo where tool = '${tool}'`)).split("\n").filter((l) => l).map(
        Number,
      ),
    );
    const lost = acked.filter((n) => !back.has(n)).length;
    return { acked: acked.length, lost };
  };

  report(
    `database ${
      (bytes / 1024 ** 3).toFixed(2)
    } GiB (pgbench -s ${scale}), lz4 level 1 on both, ${rounds} round(s), ${
      Deno.loadavg()[0]?.toFixed(1)
    } load`,
  );
  if (phases.has("backup")) {
    // --- base backups, alternating
    const backup = { ours: [] as number[], pgbr: [] as number[] };
    for (let r = 1; r <= rounds; r++) {
      const p = await timed(() => pgbackrest(["--stanza=bench", "backup", "--type=full"]));
      const o = await timed(() => ops(["postgres:backup", "--physical", "--compression", "lz4-1"]));
      backup.pgbr.push(p.seconds);
      backup.ours.push(o.seconds);
      console.log(
        `backup round ${r}: pgbackrest ${p.seconds.toFixed(1)} s, postgres:backup --physical ${
          o.seconds.toFixed(1)
        } s`,
      );
    }

    report(
      `base backup     pgbackrest ${median(backup.pgbr).toFixed(1)} s, ours ${
        median(backup.ours).toFixed(1)
      } s: ratio ${(median(backup.ours) / median(backup.pgbr)).toFixed(2)} (target <= 1.1)`,
    );
  }
  if (phases.has("restore")) {
    // --- WAL written after the backups, a point in the middle of it
    const loadRun = load(loadSeconds);
    await new Promise((r) => setTimeout(r, (loadSeconds / 2) * 1000));
    const target = new Date().toISOString();
    await loadRun;
    await psql("select pg_switch_wal()", "postgres");
    await new Promise((r) => setTimeout(r, 5000));
    const segmentsAfter = Number(
      await psql(
        "select count(*) from pg_ls_dir('pg_wal') f where f ~ '^[0-9A-F]{24}$'",
        "postgres",
      ),
    );
    console.log(`target time ${target}; ${segmentsAfter} segments in pg_wal`);

    // --- restore to the target time, beside the live server, until the server is promoted
    const restore = { ours: [] as number[], pgbr: [] as number[] };
    for (let r = 1; r <= rounds; r++) {
      const d1 = join(benchDir, `restore-ours-${r}`);
      const d2 = join(benchDir, `restore-pgbr-${r}`);
      for (const d of [d1, d2]) await Deno.remove(d, { recursive: true }).catch(() => {});
      const p1 = freePort();
      const o = await timed(() =>
        ops([
          "postgres:restore",
          "--to-time",
          target,
          "--port",
          String(p1),
          "--target-dir",
          d1,
          "--json",
        ])
      );
      const ourPid = JSON.parse(o.value).pid as number;
      await sh("kill", ["-INT", String(ourPid)]);
      await Deno.mkdir(d2, { mode: 0o700 });
      await sh("chown", [`${uid}:${gid}`, d2]);
      const p2 = freePort();
      const p = await timed(async () => {
        await pgbackrest([
          "--stanza=bench",
          "restore",
          `--pg1-path=${d2}`,
          "--type=time",
          `--target=${target.replace("T", " ").replace("Z", "+00")}`,
          "--target-action=promote",
        ]);
        // the server's output goes to a file: an inherited pipe would keep this call waiting
        await sh("setsid", [
          "-f",
          "sh",
          "-c",
          'exec "$@" >>"$0/server.log" 2>&1 </dev/null',
          d2,
          ...asUser,
          join(bin, "postgres"),
          "-D",
          d2,
          "-c",
          `port=${p2}`,
          "-c",
          "listen_addresses=",
          "-c",
          `unix_socket_directories=${d2}`,
          "-c",
          "archive_mode=off",
          "-c",
          "logging_collector=off",
        ]);
        const c2 = ["-h", d2, "-p", String(p2), "-U", "postgres"];
        while (true) {
          const state = await psql("select pg_is_in_recovery()", "postgres", c2).catch(() => "");
          if (state === "f") break;
          await new Promise((r) => setTimeout(r, 200));
        }
      });
      const pid = (await Deno.readTextFile(join(d2, "postmaster.pid"))).split("\n")[0]!;
      await sh("kill", ["-INT", pid]);
      restore.ours.push(o.seconds);
      restore.pgbr.push(p.seconds);
      console.log(
        `PITR restore round ${r}: pgbackrest ${
          p.seconds.toFixed(1)
        } s, postgres:restore --to-time ${o.seconds.toFixed(1)} s`,
      );
      await new Promise((r) => setTimeout(r, 2000));
      for (const d of [d1, d2]) await Deno.remove(d, { recursive: true }).catch(() => {});
    }

    report(
      `PITR restore    pgbackrest ${median(restore.pgbr).toFixed(1)} s, ours ${
        median(restore.ours).toFixed(1)
      } s: ratio ${(median(restore.ours) / median(restore.pgbr)).toFixed(2)} (target <= 1.1)`,
    );
  }
  if (phases.has("push")) {
    // --- archive throughput on the same finished segments
    const segments = [];
    for await (const e of Deno.readDir(walArchive)) {
      if (/^[0-9A-F]{24}$/.test(e.name)) segments.push(e.name);
    }
    segments.sort();
    const sample = segments.slice(-16);
    const src = join(benchDir, "push-src");
    await Deno.remove(src, { recursive: true }).catch(() => {});
    await Deno.mkdir(src, { recursive: true });
    for (const s of sample) await Deno.copyFile(join(walArchive, s), join(src, s));
    await sh("chown", ["-R", `${uid}:${gid}`, src]);
    // rounds alternate which tool goes first, each into an empty archive of its own
    const repo2 = join(pgbr, "repo-push");
    const ourDir = join(benchDir, "push-ours");
    const push = { ours: [] as number[], pgbr: [] as number[] };
    const pushOurs = async () => {
      await Deno.remove(ourDir, { recursive: true }).catch(() => {});
      await Deno.mkdir(ourDir);
      await sh("chown", [`${uid}:${gid}`, ourDir]);
      const t = await timed(async () => {
        for (const s of sample) {
          await sh(asUser[0]!, [...asUser.slice(1), archiveScript, join(src, s), s, ourDir]);
        }
      });
      push.ours.push(sample.length / t.seconds);
    };
    const pushPgbr = async () => {
      // a second stanza in a fresh repo: archive-push really writes each segment
      await Deno.remove(repo2, { recursive: true }).catch(() => {});
      await Deno.mkdir(repo2);
      await sh("chown", [`${uid}:${gid}`, repo2]);
      await pgbackrest([`--repo1-path=${repo2}`, "--stanza=bench", "stanza-create"]);
      const t = await timed(async () => {
        for (const s of sample) {
          await pgbackrest([
            `--repo1-path=${repo2}`,
            "--stanza=bench",
            "archive-push",
            join(src, s),
          ]);
        }
      });
      push.pgbr.push(sample.length / t.seconds);
    };
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? [pushPgbr, pushOurs] : [pushOurs, pushPgbr];
      for (const run of order) await run();
    }
    await Deno.remove(src, { recursive: true });
    await Deno.remove(ourDir, { recursive: true });

    report(
      `archive push    ${sample.length} segments, ${rounds} rounds: archive_wal.sh ${
        median(push.ours).toFixed(1)
      } seg/s (${push.ours.map((r) => r.toFixed(1)).join(" / ")}), pgbackrest archive-push ${
        median(push.pgbr).toFixed(1)
      } seg/s (${push.pgbr.map((r) => r.toFixed(1)).join(" / ")}): ratio ${
        (median(push.ours) / median(push.pgbr)).toFixed(2)
      } (target >= 1)`,
    );
  }
  if (phases.has("lag")) {
    // --- lag under a write load, each archiver alone
    const lagUnder = async (command: string) => {
      await setArchiveCommand(command);
      let maxLag = 0;
      const segName = (n: string) => parseInt(n.slice(8, 16), 16) * 256 + parseInt(n.slice(16), 16);
      const before = await psql("select last_archived_wal from pg_stat_archiver", "postgres");
      const running = load(loadSeconds, 4);
      let done = false;
      void running.finally(() => (done = true));
      while (!done) {
        const [current, last] = (await psql(
          "select pg_walfile_name(pg_current_wal_lsn()), coalesce(last_archived_wal, '') from pg_stat_archiver",
          "postgres",
        )).split("|");
        if (last) maxLag = Math.max(maxLag, segName(current!) - segName(last) - 1);
        await new Promise((r) => setTimeout(r, 250));
      }
      await running;
      const after = await psql("select last_archived_wal from pg_stat_archiver", "postgres");
      return { maxLag, segments: segName(after) - segName(before) };
    };
    const lagOurs = await lagUnder(`${archiveScript} "%p" "%f" ${walArchive}`);
    const lagPgbr = await lagUnder(
      `pgbackrest --config=${pgbrConf} --stanza=bench archive-push "%p"`,
    );

    report(
      `archive lag     pgbench -c 4 for ${loadSeconds} s: ours max ${lagOurs.maxLag} segment(s) behind (${lagOurs.segments} archived), pgbackrest max ${lagPgbr.maxLag} (${lagPgbr.segments} archived) (target < 2)`,
    );
  }
  if (phases.has("rpo")) {
    const rpoOurs = await rpo("ours");
    await setArchiveCommand(both);
    await pgbackrest(["--stanza=bench", "stanza-upgrade"]).catch(() => {});
    const rpoPgbr = await rpo("pgbackrest");

    report(
      `RPO archive     kill -9 + data folder lost under load: ours ${rpoOurs.lost} of ${rpoOurs.acked} acknowledged commits lost, pgbackrest ${rpoPgbr.lost} of ${rpoPgbr.acked}`,
    );
  }
  if (phases.has("stream")) {
    // stream mode with synchronous commits: the same kill -9 and loss of the data folder
    const yaml = await Deno.readTextFile(envFile);
    await ops(["postgres:stop"]);
    await Deno.writeTextFile(
      envFile,
      yaml.replace(/mode: archive/, "mode: stream\n      synchronous: true"),
    );
    await setArchiveCommand(null).catch(() => {});
    // a fresh archive: the one above mixes timelines whose history only pgBackRest received
    await Deno.rename(walArchive, `${walArchive}.archive-mode`);
    await ops(["postgres:start"]);
    for (let i = 0; i < 100; i++) {
      const state = await psql(
        "select sync_state from pg_stat_replication where application_name = 'hailmary_wal'",
        "postgres",
      ).catch(() => "");
      if (state === "sync") break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const tps = async () => Number(/tps = ([\d.]+)/.exec(await load(loadSeconds, 2))?.[1] ?? "0");
    const syncTps = await tps();
    const rpoStream = await rpo("stream");
    await ops(["postgres:stop"]);
    await Deno.writeTextFile(envFile, yaml);
    await Deno.rename(walArchive, `${walArchive}.stream-mode`);
    await Deno.rename(`${walArchive}.archive-mode`, walArchive);
    await ops(["postgres:start"]);
    const archiveTps = await tps();
    report(
      `RPO stream      stream + synchronous, same test: ${rpoStream.lost} of ${rpoStream.acked} acknowledged commits lost; pgbench -c 2 ${
        syncTps.toFixed(0)
      } tps vs ${archiveTps.toFixed(0)} tps in archive mode`,
    );
  }
} finally {
  await setArchiveCommand(null).catch(() => {});
  if (!values.keep) {
    await ops(["postgres:stop"]).catch(() => {});
    await Deno.remove(benchDir, { recursive: true }).catch(() => {});
  }
}
