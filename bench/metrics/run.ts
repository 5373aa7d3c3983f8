// Benchmark: what `./ops metrics` costs next to `./ops status` (paired runs, alternating, so
// load from elsewhere hits both alike), and how fast `./ops metrics --serve` answers a scrape,
// with the five services up in a private stack on free ports.
//
// Usage (from the project root):
//   deno run -A bench/metrics/run.ts [--rounds 15] [--scrapes 200] [--keep]
// Without --keep the private stack is stopped and removed at the end.
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePort, median, writePrivateStack } from "../private_stack.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "15" },
    scrapes: { type: "string", default: "200" },
    keep: { type: "boolean", default: false },
  },
});
const rounds = Number(values.rounds);
const scrapes = Number(values.scrapes);

const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const benchDir = Deno.env.get("BENCH_DIR") ?? "/tmp/hailmary-bench-metrics";
const envFile = join(benchDir, "benchmetrics.yaml");

/** Runs `./ops ARGS --env FILE` and returns its wall time in ms (fails on a non-zero exit). */
async function ops(args: string[], expectOk = true): Promise<number> {
  const began = performance.now();
  const out = await new Deno.Command(join(root, "ops"), {
    args: [...args, "--env", envFile],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const took = performance.now() - began;
  if (expectOk && !out.success) {
    throw new Error(`./ops ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  return took;
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

// a private stack of all five services (a kept one is reused)
const kept = await writePrivateStack(envFile, benchDir, "benchmetrics", {
  // the shipped environments' kind of schedules, installed where cron does not read them
  schedules: [
    { name: "nightly-backup", cron: "30 2 * * *", task: "backup", args: ["--yes"] },
    { name: "retention-sets", cron: "0 4 * * *", task: "prune-sets", args: ["--yes"] },
    { name: "health-check", cron: "*/5 * * * *", task: "health", timeout: 120 },
  ],
});
console.log(`${kept ? "reusing" : "starting"} the stack (${envFile})...`);
await ops(["up"]);
await ops(["health", "--wait", "120"]);
// one backup and one scheduled run, so the catalog and schedule parts have something to read
if (!kept) {
  await ops(["backup", "--yes"]);
  await Deno.mkdir(join(benchDir, "cron"), { recursive: true });
  await ops(["schedule:install", "--cron-dir", join(benchDir, "cron")]);
  await ops(["schedule:run", "health-check"]);
}
// a history as a few days of 5-minute health checks leave it (999 records: one short of the
// point where the oldest are dropped), so reading the last run is measured at its largest
const history = join(benchDir, "state", "schedules", "health-check", "history.ndjson");
const [record] = (await Deno.readTextFile(history)).split("\n");
await Deno.writeTextFile(history, `${record}\n`.repeat(999));

try {
  // warm both (Deno's module cache, the environment snapshot)
  await ops(["status"]);
  await ops(["metrics"]);
  const status: number[] = [];
  const metrics: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const s = await ops(["status"]);
    const m = await ops(["metrics"]);
    status.push(s);
    metrics.push(m);
    ratios.push(m / s);
    console.log(
      `round ${i + 1}: status ${s.toFixed(0)} ms, metrics ${m.toFixed(0)} ms, ratio ${
        (m / s).toFixed(2)
      }`,
    );
  }
  console.log(
    `\nstatus median ${median(status).toFixed(0)} ms, metrics median ${
      median(metrics).toFixed(0)
    } ms, ratio of medians ${(median(metrics) / median(status)).toFixed(2)}, median of ratios ${
      median(ratios).toFixed(2)
    } (target <= 1.0)`,
  );

  // scrapes of metrics --serve, one after another as a scraper sends them
  const port = freePort();
  const server = new Deno.Command(join(root, "ops"), {
    args: ["metrics", "--serve", String(port), "--env", envFile],
    cwd: root,
    stdout: "null",
    stderr: "null",
  }).spawn();
  const url = `http://127.0.0.1:${port}/metrics`;
  for (let i = 0; i < 100; i++) {
    try {
      await (await fetch(url)).text();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  for (let i = 0; i < 10; i++) await (await fetch(url)).text();
  const times: number[] = [];
  let series = 0;
  for (let i = 0; i < scrapes; i++) {
    const began = performance.now();
    const text = await (await fetch(url)).text();
    times.push(performance.now() - began);
    series = text.split("\n").filter((l) => l && !l.startsWith("#")).length;
  }
  server.kill("SIGTERM");
  await server.status;
  console.log(
    `scrapes of metrics --serve (${scrapes}, ${series} series): p50 ${
      percentile(times, 50).toFixed(1)
    } ms, p95 ${percentile(times, 95).toFixed(1)} ms, p99 ${
      percentile(times, 99).toFixed(1)
    } ms, max ${Math.max(...times).toFixed(1)} ms (target p95 <= 50 ms)`,
  );
  console.log(`load average: ${Deno.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
} finally {
  if (!values.keep) {
    await ops(["down"], false);
    await Deno.remove(benchDir, { recursive: true }).catch(() => {});
  }
}
