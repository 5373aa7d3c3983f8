// Benchmark of the on-call dashboard (`./ops tui`) against a real stack it starts:
//  1. time to first frame: from starting the dashboard in a 160x48 tmux terminal until the
//     screen shows it (and until it shows every service probed), `./ops tui` and the command of
//     deno.json's `tui` task that it runs (without the wrapper and `deno task`) alternately;
//  2. idle CPU: the dashboard left alone at the default refresh (2 s) for 30 s, in the services
//     view and in the merged logs view, read from /proc/<pid>/stat (the process, and with its
//     children: the `ps` calls of the status and metrics polls);
//  3. render time of one frame with 100 synthetic services (bench/tui/frame_time.tsx).
// Prints one line per figure against its target, then a JSON summary.
//
// Usage (from the project root):
//   deno run -A bench/tui/run.ts [--services postgres,redis,opensearch] [--runs 5]
//     [--idle-seconds 30] [--keep]
import { parseArgs } from "node:util";
import { createTestEnvironment, opsOk, root } from "../../tests/helpers/test_stack.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    services: { type: "string", default: "postgres,redis,opensearch" },
    runs: { type: "string", default: "5" },
    "idle-seconds": { type: "string", default: "30" },
    keep: { type: "boolean", default: false },
  },
});
const services = values.services.split(",").filter(Boolean);
const runs = Number(values.runs);
const idleSeconds = Number(values["idle-seconds"]);
// a fresh tmux server per session: reusing a socket right after kill-server races its shutdown
let sessions = 0;
let socket = `hailmary-bench-tui-${Deno.pid}-0`;
const freshSocket = () => (socket = `hailmary-bench-tui-${Deno.pid}-${++sessions}`);
const deno = Deno.execPath();
// what `deno task tui` runs, read from deno.json (`deno` resolved to this binary)
const direct =
  (JSON.parse(await Deno.readTextFile(`${root}/deno.json`)).tasks.tui.command as string)
    .replace(/^deno /, `${deno} `);

async function tmux(...args: string[]): Promise<string> {
  const out = await new Deno.Command("tmux", {
    args: ["-L", socket, ...args],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (!out.success) throw new Error(`tmux ${args[0]}: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const loadavg = async () =>
  (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function rowsHealthy(screen: string): boolean {
  return services.every((name) =>
    screen.split("\n").some((l) => new RegExp(`^[› ] . ${name} +running +healthy`).test(l))
  );
}

/** Starts the dashboard in a fresh tmux session and times the first frame and the first probed one. */
async function firstFrame(command: string): Promise<{ frameMs: number; probedMs: number }> {
  freshSocket();
  const started = performance.now();
  await tmux("new-session", "-d", "-s", "ff", "-x", "160", "-y", "48", command);
  let frameMs = NaN;
  let probedMs = NaN;
  while (performance.now() - started < 20_000) {
    const screen = await tmux("capture-pane", "-p", "-t", "ff").catch(() => "");
    const at = performance.now() - started;
    if (Number.isNaN(frameMs) && screen.includes("HailMary Ops  env")) frameMs = at;
    if (!Number.isNaN(frameMs) && rowsHealthy(screen)) {
      probedMs = at;
      break;
    }
    await sleep(5);
  }
  await tmux("send-keys", "-t", "ff", "q");
  for (let i = 0; i < 100; i++) {
    if (!(await tmux("has-session", "-t", "ff").then(() => true, () => false))) break;
    await sleep(50);
  }
  await tmux("kill-server").catch(() => "");
  return { frameMs, probedMs };
}

/** CPU seconds of a process, and of the process with its waited-for children, from /proc. */
async function cpuSeconds(pid: number): Promise<{ self: number; withChildren: number }> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // after the command: state(0) ... utime(11) stime(12) cutime(13) cstime(14), in clock ticks
  const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]) / 100);
  return { self: utime! + stime!, withChildren: utime! + stime! + cutime! + cstime! };
}

/** Idle CPU of the dashboard over `seconds`, after a warm-up; `keys` are sent first (a view). */
async function idleCpu(
  envFile: string,
  keys: string[],
): Promise<{ self: number; withChildren: number }> {
  await tmux(
    "new-session",
    "-d",
    "-s",
    "idle",
    "-x",
    "160",
    "-y",
    "48",
    `cd ${root} && exec ${direct} --env ${envFile}`,
  );
  const pid = Number((await tmux("display-message", "-p", "-t", "idle", "#{pane_pid}")).trim());
  for (let i = 0; i < 200 && !rowsHealthy(await tmux("capture-pane", "-p", "-t", "idle")); i++) {
    await sleep(50);
  }
  for (const key of keys) await tmux("send-keys", "-t", "idle", key);
  await sleep(5000);
  const before = await cpuSeconds(pid);
  const started = performance.now();
  await sleep(idleSeconds * 1000);
  const after = await cpuSeconds(pid);
  const wall = (performance.now() - started) / 1000;
  await tmux("send-keys", "-t", "idle", "q");
  await sleep(1000);
  await tmux("kill-server").catch(() => "");
  return {
    self: ((after.self - before.self) / wall) * 100,
    withChildren: ((after.withChildren - before.withChildren) / wall) * 100,
  };
}

const env = await createTestEnvironment({ services });
console.log(`stack: ${services.join(", ")} in ${env.dir}; load average ${await loadavg()}`);
try {
  await opsOk(env.file, ["up"]);

  const viaOps: { frameMs: number; probedMs: number }[] = [];
  const viaDeno: { frameMs: number; probedMs: number }[] = [];
  for (let i = 0; i < runs; i++) {
    viaOps.push(await firstFrame(`cd ${root} && exec ./ops tui --env ${env.file}`));
    viaDeno.push(
      await firstFrame(`cd ${root} && exec ${direct} --env ${env.file}`),
    );
  }
  const servicesIdle = await idleCpu(env.file, []);
  const logsIdle = await idleCpu(env.file, ["L"]);

  const frames = JSON.parse(
    new TextDecoder().decode(
      (await new Deno.Command(deno, {
        args: ["run", "-A", "bench/tui/frame_time.tsx", "--services", "100", "--frames", "200"],
        cwd: root,
        stdout: "piped",
      }).output()).stdout,
    ).trim(),
  );

  const f = (n: number) => n.toFixed(1);
  const mark = (ok: boolean) => (ok ? "ok  " : "MISS");
  const firstOps = median(viaOps.map((r) => r.frameMs));
  const firstDeno = median(viaDeno.map((r) => r.frameMs));
  console.log(`load average after: ${await loadavg()}`);
  console.log(
    `${mark(firstOps < 500)} first frame, ./ops tui:                 median ${
      f(firstOps)
    } ms of ${runs} (target < 500); every service probed ${
      f(median(viaOps.map((r) => r.probedMs)))
    } ms`,
  );
  console.log(
    `${mark(firstDeno < 500)} first frame, deno.json's command alone:  median ${
      f(firstDeno)
    } ms of ${runs}; every service probed ${f(median(viaDeno.map((r) => r.probedMs)))} ms`,
  );
  console.log(
    `${mark(servicesIdle.withChildren < 3)} idle CPU, services view, ${idleSeconds} s:   ${
      f(servicesIdle.self)
    }% of a core (${f(servicesIdle.withChildren)}% with its ps children) (target < 3%)`,
  );
  console.log(
    `${mark(logsIdle.withChildren < 3)} idle CPU, merged logs view, ${idleSeconds} s: ${
      f(logsIdle.self)
    }% of a core (${f(logsIdle.withChildren)}% with its ps children)`,
  );
  console.log(
    `${
      mark(frames.medianMs < 16)
    } frame with 100 services: median ${frames.medianMs} ms, p95 ${frames.p95Ms} ms wall; CPU ${frames.cpuMedianMs} ms median (target < 16 ms)`,
  );
  console.log(JSON.stringify({ services, viaOps, viaDeno, servicesIdle, logsIdle, frames }));
} finally {
  await tmux("kill-server").catch(() => "");
  if (!values.keep) {
    await opsOk(env.file, ["down"]).catch(() => {});
    await env.remove();
  }
}
