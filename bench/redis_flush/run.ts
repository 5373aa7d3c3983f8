// Benchmark: `redis:flush --pattern P --yes` against the shell one-liner it replaces,
// `redis-cli --scan --pattern P | xargs redis-cli unlink`, on 1,000,000 keys of which half
// match, in a private Redis. The keys are reloaded (pipelined, `redis-cli --pipe`) before every
// run, and runs alternate (shell, toolkit, shell, toolkit...) so load from elsewhere hits both
// alike. Both get the password through REDISCLI_AUTH / the environment's secret, never argv.
//
// Usage (from the project root):
//   deno run -A bench/redis_flush/run.ts [--keys 1000000] [--rounds 3] [--keep]
// Without --keep the private stack is stopped and removed at the end.
import { join } from "node:path";
import { parseArgs } from "node:util";
import { stringify } from "yaml";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    keys: { type: "string", default: "1000000" },
    rounds: { type: "string", default: "3" },
    keep: { type: "boolean", default: false },
  },
});
const total = Number(values.keys);
const rounds = Number(values.rounds);
const pattern = "bench:hit:*";

const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const benchDir = Deno.env.get("BENCH_DIR") ?? "/tmp/hailmary-bench-redis";
const envFile = join(benchDir, "bench.yaml");

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function run(
  program: string,
  args: string[],
  options: { env?: Record<string, string>; stdin?: Uint8Array } = {},
): Promise<string> {
  const child = new Deno.Command(program, {
    args,
    env: options.env ?? {},
    stdin: options.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin) {
    const writer = child.stdin.getWriter();
    await writer.write(options.stdin);
    await writer.close();
  }
  const out = await child.output();
  if (!out.success) {
    throw new Error(
      `${program} ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return new TextDecoder().decode(out.stdout);
}

const ops = (args: string[]) =>
  run(Deno.execPath(), ["run", "-q", "-A", join(root, "mod.ts"), ...args, "--env", envFile]);

// a private stack: Redis only, on a free port, with room for the keys (a kept one is replaced)
try {
  await Deno.stat(envFile);
  await ops(["down"]);
  await Deno.remove(benchDir, { recursive: true });
} catch {
  // no earlier stack
}
await Deno.mkdir(benchDir, { recursive: true, mode: 0o755 });
await Deno.chmod(benchDir, 0o755);
const port = freePort();
await Deno.writeTextFile(
  envFile,
  stringify({
    name: "benchredis",
    runtime: "native",
    stateDir: join(benchDir, "state"),
    backupDir: join(benchDir, "backups"),
    services: { redis: { port, maxMemory: "2gb" } },
  }),
);
await ops(["up"]);
const password = (await Deno.readTextFile(join(benchDir, "state", "secrets", "redis-password")))
  .trim();
const cliEnv = { REDISCLI_AUTH: password };
const cli = ["-h", "127.0.0.1", "-p", String(port)];

/** The RESP protocol for SET of every key, half of them matching the pattern. */
function loadProtocol(): Uint8Array {
  const parts: string[] = [];
  for (let i = 0; i < total; i++) {
    const key = `bench:${i % 2 === 0 ? "hit" : "miss"}:${i}`;
    parts.push(`*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$5\r\nvalue\r\n`);
  }
  return new TextEncoder().encode(parts.join(""));
}
const protocol = loadProtocol();

async function reload(): Promise<void> {
  await run("redis-cli", [...cli, "flushall"], { env: cliEnv });
  await run("redis-cli", [...cli, "--pipe"], { env: cliEnv, stdin: protocol });
  const size = Number((await run("redis-cli", [...cli, "dbsize"], { env: cliEnv })).trim());
  if (size !== total) throw new Error(`loaded ${size} keys, expected ${total}`);
}

async function check(): Promise<void> {
  const left = Number((await run("redis-cli", [...cli, "dbsize"], { env: cliEnv })).trim());
  const matching =
    (await run("redis-cli", [...cli, "--scan", "--pattern", pattern], { env: cliEnv }))
      .split("\n").filter(Boolean).length;
  if (matching !== 0 || left !== total / 2) {
    throw new Error(`after the flush: ${left} keys left, ${matching} still matching`);
  }
}

const shellLine = `redis-cli -h 127.0.0.1 -p ${port} --scan --pattern '${pattern}' | ` +
  `xargs redis-cli -h 127.0.0.1 -p ${port} unlink > /dev/null`;
const statsFile = join(benchDir, "time.txt");
/** Runs under GNU time: the toolkit's peak memory is reported next to its speed. */
const timed = (argv: string[], env: Record<string, string>) =>
  run("/usr/bin/time", ["-f", "%M", "-o", statsFile, ...argv], { env });
const contenders = {
  shell: () => timed(["sh", "-c", shellLine], { ...cliEnv, PATH: Deno.env.get("PATH")! }),
  toolkit: () =>
    timed([
      Deno.execPath(),
      "run",
      "-q",
      "-P=ops",
      join(root, "tasks", "cli.ts"),
      "redis:flush",
      "--pattern",
      pattern,
      "--yes",
      "--env",
      envFile,
    ], { PATH: Deno.env.get("PATH")! }),
};

const times: Record<string, number[]> = { shell: [], toolkit: [] };
const ratios: number[] = [];
let toolkitPeakKb = 0;
try {
  for (let round = 1; round <= rounds; round++) {
    for (const [name, go] of Object.entries(contenders)) {
      await reload();
      const began = performance.now();
      await go();
      const seconds = (performance.now() - began) / 1000;
      await check();
      times[name]!.push(seconds);
      if (name === "toolkit") {
        toolkitPeakKb = Math.max(
          toolkitPeakKb,
          Number((await Deno.readTextFile(statsFile)).trim()),
        );
      }
      console.log(`round ${round} ${name.padEnd(7)} ${seconds.toFixed(2)} s`);
    }
    ratios.push(times.shell!.at(-1)! / times.toolkit!.at(-1)!);
  }
} finally {
  if (!values.keep) {
    await ops(["down"]).catch(() => {});
    await Deno.remove(benchDir, { recursive: true }).catch(() => {});
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  `\n${total.toLocaleString("en-US")} keys, ${
    (total / 2).toLocaleString("en-US")
  } matching ${pattern}`,
);
console.log(
  `redis-cli --scan | xargs redis-cli unlink  median ${median(times.shell!).toFixed(2)} s`,
);
console.log(
  `redis:flush --pattern --yes                 median ${median(times.toolkit!).toFixed(2)} s, ` +
    `peak ${Math.round(toolkitPeakKb / 1024)} MiB`,
);
console.log(`ratio per round (shell / toolkit): ${ratios.map((r) => r.toFixed(2)).join(", ")}`);
console.log(`median ratio: ${median(ratios).toFixed(2)}x (target >= 2x)`);
