// Benchmark: `postgres:backup` / `postgres:restore` against plain pg_dump / pg_restore with the
// same format and compression, on a pgbench database of at least 1 GB in a private stack.
// A warm-up pair is not counted; then the two run back to back, the first alternating round by round
// (plain first, then toolkit first...), so load from elsewhere and order effects hit both alike.
//
// Usage (from the project root):
//   deno run -A bench/postgres_backup/run.ts [--scale 70] [--rounds 2] [--restore-rounds 1]
//     [--compression gzip-6] [--keep]
// --keep leaves the stack's data in $BENCH_DIR (default /tmp/hailmary-bench-postgres) so a second
// run skips pgbench -i; without it the stack is stopped and removed at the end.
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { join } from "../../lib/posix_path.ts";
import { findPostgresBinDir } from "../../lib/service/binaries.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    scale: { type: "string", default: "70" },
    rounds: { type: "string", default: "2" },
    "restore-rounds": { type: "string", default: "1" },
    compression: { type: "string", default: "gzip-6" },
    keep: { type: "boolean", default: false },
  },
});
const scale = Number(values.scale);
const rounds = Number(values.rounds);
const restoreRounds = Number(values["restore-rounds"]);
const compression = values.compression!;
const level = compression === "none" ? 0 : Number(compression.replace("gzip-", ""));

const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const benchDir = Deno.env.get("BENCH_DIR") ?? "/tmp/hailmary-bench-postgres";
const bin = findPostgresBinDir();
const envFile = join(benchDir, "bench.yaml");
const outDir = join(benchDir, "plain");

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
      `${program} ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return new TextDecoder().decode(out.stdout);
}

/** Runs a command under GNU time; returns wall seconds and max RSS (KiB) of the measured process. */
async function timed(argv: string[]): Promise<{ seconds: number; maxRssKb: number; out: string }> {
  const statsFile = join(benchDir, "time.txt");
  const began = performance.now();
  const out = await sh("/usr/bin/time", ["-f", "%M", "-o", statsFile, ...argv]);
  const seconds = (performance.now() - began) / 1000;
  const maxRssKb = Number((await Deno.readTextFile(statsFile)).trim().split("\n").pop());
  return { seconds, maxRssKb, out };
}

// what an operator types: ./ops starts the task's deno.json command line itself (with the
// write grants remembered for this environment file, whose folders are outside the ops set)
const ops = (args: string[]) => [join(root, "ops"), ...args, "--env", envFile];

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
      stateDir: join(benchDir, "state"),
      backupDir: join(benchDir, "backups"),
      services: { postgres: { port: freePort(), sharedBuffers: "128MB" } },
    }),
  );
}
const port = (await Deno.readTextFile(envFile)).match(/port: (\d+)/)![1]!;
const socket = join(benchDir, "state", "postgres", "socket");
const conn = ["-h", socket, "-p", port, "-U", "postgres"];

console.log(`stack: ${envFile}`);
await sh(ops(["up"])[0]!, ops(["up"]).slice(1));
try {
  const psql = (sql: string, db = "app") =>
    sh(join(bin, "psql"), [...conn, "-d", db, "-XAtc", sql]).then((s) => s.trim());
  if (fresh || (await psql("select to_regclass('pgbench_accounts') is null")) === "t") {
    console.log(`pgbench -i -s ${scale} (once; --keep reuses it)...`);
    await sh(join(bin, "pgbench"), [...conn, "-i", "-q", "-s", String(scale), "app"]);
  }
  const bytes = Number(await psql("select pg_database_size('app')"));
  console.log(`database app: ${(bytes / 1024 ** 3).toFixed(2)} GiB`);
  if (bytes < 1024 ** 3) console.log("warning: smaller than 1 GiB, raise --scale");

  await Deno.mkdir(outDir, { recursive: true });
  const plainDump = join(outDir, "app.dump");
  const backup: { plain: number[]; ops: number[]; rss: number[] } = { plain: [], ops: [], rss: [] };
  let lastId = "";
  const plainBackup = async () => {
    await Deno.remove(plainDump).catch(() => {});
    return await timed([
      join(bin, "pg_dump"),
      ...conn,
      "--format=custom",
      `--compress=${level}`,
      `--file=${plainDump}`,
      "app",
    ]);
  };
  const toolkitBackup = async () => {
    await Deno.remove(join(benchDir, "backups"), { recursive: true }).catch(() => {});
    return await timed(ops(["postgres:backup", "--compression", compression, "--json"]));
  };
  // round 0 warms up (Deno compiles a changed module once; the server's caches fill) and
  // is not counted; then the two run back to back, the first alternating round by round
  for (let r = 0; r <= rounds; r++) {
    const plainFirst = r % 2 === 1;
    const first = await (plainFirst ? plainBackup() : toolkitBackup());
    const second = await (plainFirst ? toolkitBackup() : plainBackup());
    const [plain, mine] = plainFirst ? [first, second] : [second, first];
    lastId = JSON.parse(mine.out).id;
    const line = `pg_dump ${plain.seconds.toFixed(1)} s, postgres:backup ${
      mine.seconds.toFixed(1)
    } s (peak RSS ${(mine.maxRssKb / 1024).toFixed(0)} MiB)`;
    if (r === 0) {
      console.log(`backup warm-up: ${line}`);
      continue;
    }
    backup.plain.push(plain.seconds);
    backup.ops.push(mine.seconds);
    backup.rss.push(mine.maxRssKb);
    console.log(`backup round ${r}${plainFirst ? "" : " (toolkit first)"}: ${line}`);
  }

  const restore: { plain: number[]; ops: number[]; rss: number[] } = {
    plain: [],
    ops: [],
    rss: [],
  };
  for (let r = 1; r <= restoreRounds; r++) {
    await psql("drop database if exists bench_plain with (force)", "postgres");
    const plain = await timed([
      "sh",
      "-c",
      `"$0" "$@" -c 'create database bench_plain template template0' -d postgres && "${
        join(bin, "pg_restore")
      }" -h "${socket}" -p ${port} -U postgres --exit-on-error -d bench_plain "${plainDump}"`,
      join(bin, "psql"),
      ...conn,
      "-Xq",
    ]);
    restore.plain.push(plain.seconds);
    await psql("drop database if exists bench_plain with (force)", "postgres");
    await psql("drop database if exists bench_ops with (force)", "postgres");
    const mine = await timed(
      ops(["postgres:restore", lastId, "--target", "bench_ops", "--no-safety-backup", "--yes"]),
    );
    restore.ops.push(mine.seconds);
    restore.rss.push(mine.maxRssKb);
    await psql("drop database if exists bench_ops with (force)", "postgres");
    console.log(
      `restore round ${r}: pg_restore ${plain.seconds.toFixed(1)} s, postgres:restore ${
        mine.seconds.toFixed(1)
      } s (peak RSS ${(mine.maxRssKb / 1024).toFixed(0)} MiB)`,
    );
  }

  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const median = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  };
  const pairRatios = (r: { plain: number[]; ops: number[] }) =>
    median(r.ops.map((t, i) => t / r.plain[i]!)).toFixed(3);
  const dumpSize = (await Deno.stat(plainDump)).size;
  console.log("");
  console.log(
    `format custom, compression ${compression}, database ${
      (bytes / 1024 ** 3).toFixed(2)
    } GiB, dump ${
      (dumpSize / 1024 ** 2).toFixed(0)
    } MiB, ${rounds} backup round(s), ${restoreRounds} restore round(s)`,
  );
  console.log(
    `backup  wall ratio postgres:backup / pg_dump     = ${
      (sum(backup.ops) / sum(backup.plain)).toFixed(3)
    } (median of rounds ${pairRatios(backup)})  (target <= ${
      compression === "none" ? "1.2" : "1.05"
    })`,
  );
  console.log(
    `backup  peak RSS of the toolkit (deno process)   = ${
      (Math.max(...backup.rss) / 1024).toFixed(0)
    } MiB  (target <= 100)`,
  );
  if (restoreRounds > 0) {
    console.log(
      `restore wall ratio postgres:restore / pg_restore = ${
        (sum(restore.ops) / sum(restore.plain)).toFixed(3)
      } (median of rounds ${pairRatios(restore)})  (target <= 1.05)`,
    );
    console.log(
      `restore peak RSS of the toolkit (deno process)   = ${
        (Math.max(...restore.rss) / 1024).toFixed(0)
      } MiB`,
    );
  }
} finally {
  await Deno.remove(outDir, { recursive: true }).catch(() => {});
  await Deno.remove(join(benchDir, "backups"), { recursive: true }).catch(() => {});
  if (!values.keep) {
    await sh(ops(["down"])[0]!, ops(["down"]).slice(1));
    await Deno.remove(benchDir, { recursive: true }).catch(() => {});
  }
}
