// Benchmark: the start path of `./ops`, as paired runs against what a user would otherwise wait
// for, with the five services up in a private stack on free ports:
//   - `./ops health` against the five-check shell script (bench/health/shell_health.sh);
//   - `./ops postgres:backup --help` (the registry and the parser, no probe) against `deno eval 0`;
//   - `./ops status` against `./ops health`.
// Each round runs the two commands of every pair back to back, in alternating order (A B, then
// B A), so load from elsewhere and cache effects hit both alike; the script prints the medians,
// the ratio of the medians and the median of the per-round ratios, and the load average.
//
// Usage (from the project root):
//   deno run -A bench/startup/run.ts [--rounds 21] [--keep] [--only health,help,status]
// Without --keep the private stack is stopped and removed at the end.
import { join } from "node:path";
import { parseArgs } from "node:util";
import { median, writePrivateStack } from "../private_stack.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "21" },
    keep: { type: "boolean", default: false },
    only: { type: "string", default: "health,help,status" },
  },
});
const rounds = Number(values.rounds);
const only = new Set(values.only!.split(","));

const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const benchDir = Deno.env.get("BENCH_DIR") ?? "/tmp/hailmary-bench-startup";
const envFile = join(benchDir, "benchstartup.yaml");
const deno = join(root, ".ops", "bin", "deno");

/** A command line to time: its program, arguments and extra environment. */
interface Timed {
  name: string;
  program: string;
  args: string[];
  env?: Record<string, string>;
}

/** Runs a command to its end and returns its wall time in ms (fails on an unexpected exit). */
async function wall(command: Timed): Promise<number> {
  const began = performance.now();
  const out = await new Deno.Command(command.program, {
    args: command.args,
    cwd: root,
    env: { NO_COLOR: "1", ...command.env },
    stdout: "null",
    stderr: "piped",
  }).output();
  const took = performance.now() - began;
  if (!out.success) {
    throw new Error(
      `${command.name} failed (exit ${out.code}):\n${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return took;
}

const ops = (...args: string[]): Timed => ({
  name: `./ops ${args.join(" ")}`,
  program: join(root, "ops"),
  args: [...args, "--env", envFile],
});

const load = () => Deno.loadavg().map((x) => x.toFixed(2)).join(" ");

// a private stack of all five services (a kept one is reused)
const kept = await writePrivateStack(envFile, benchDir, "benchstartup");
console.log(`${kept ? "reusing" : "starting"} the stack (${envFile})...`);
await wall(ops("up"));
await wall(ops("health", "--wait", "120"));

const statusOut = await new Deno.Command(join(root, "ops"), {
  args: ["status", "--json", "--env", envFile],
  cwd: root,
  stdout: "piped",
}).output();
const ports = Object.fromEntries(
  (JSON.parse(new TextDecoder().decode(statusOut.stdout)) as {
    services: { name: string; port: number }[];
  }).services.map((s) => [s.name, s.port]),
);
const shell: Timed = {
  name: "shell_health.sh",
  program: join(root, "bench", "health", "shell_health.sh"),
  args: [
    String(ports.postgres),
    String(ports.redis),
    String(ports.opensearch),
    `http://127.0.0.1:${ports.web}/health`,
    `http://127.0.0.1:${ports.ingestor}/health`,
  ],
  // the password reaches redis-cli through its environment, never its arguments
  env: {
    REDISCLI_AUTH: (await Deno.readTextFile(join(benchDir, "state", "secrets", "redis-password")))
      .trim(),
  },
};
const eval0: Timed = { name: "deno eval 0", program: deno, args: ["eval", "0"] };

const pairs: { key: string; a: Timed; b: Timed; target: number }[] = [
  { key: "health", a: ops("health"), b: shell, target: 1.0 },
  { key: "help", a: ops("postgres:backup", "--help"), b: eval0, target: 2.5 },
  { key: "status", a: ops("status"), b: ops("health"), target: 1.5 },
].filter((p) => only.has(p.key));

try {
  const loadBefore = load();
  // warm every command once (Deno's module cache, the environment snapshot, the page cache)
  for (const p of pairs) await wall(p.a), await wall(p.b);
  const times = pairs.map(() => ({ a: [] as number[], b: [] as number[], ratios: [] as number[] }));
  for (let round = 0; round < rounds; round++) {
    for (const [i, p] of pairs.entries()) {
      let a: number, b: number;
      if (round % 2 === 0) {
        a = await wall(p.a);
        b = await wall(p.b);
      } else {
        b = await wall(p.b);
        a = await wall(p.a);
      }
      times[i]!.a.push(a);
      times[i]!.b.push(b);
      times[i]!.ratios.push(a / b);
    }
  }
  console.log(`\n${rounds} paired rounds, alternating order; load average ${loadBefore} before`);
  for (const [i, p] of pairs.entries()) {
    const t = times[i]!;
    const ratio = median(t.a) / median(t.b);
    console.log(
      `${p.a.name.replace(` --env ${envFile}`, "")}: median ${median(t.a).toFixed(1)} ms | ${
        p.b.name.replace(` --env ${envFile}`, "")
      }: median ${median(t.b).toFixed(1)} ms | ratio of medians ${
        ratio.toFixed(2)
      }, median of ratios ${median(t.ratios).toFixed(2)} (target <= ${p.target.toFixed(1)}: ${
        ratio <= p.target ? "met" : "NOT met"
      })`,
    );
  }
  console.log(`load average ${load()} after`);
} finally {
  if (!values.keep) {
    await wall(ops("down")).catch(() => 0);
    await Deno.remove(benchDir, { recursive: true }).catch(() => {});
  }
}
