/**
 * Render time of one dashboard frame with many services: the dashboard over
 * a StaticStackModel in an off-screen 160x48 terminal, rendered as the real
 * dashboard is (interactive, 20 fps at most, React's production build); each round (60 ms apart, past
 * the throttle) publishes a new snapshot in which every figure changes and
 * times it until Ink has written the frame. Prints JSON: wall-clock median, p95 and max, and
 * the CPU time of the process per frame (median, p95), in milliseconds.
 *
 * Usage: deno run -A bench/tui/frame_time.tsx [--services 100] [--frames 200]
 */
import { EventEmitter } from "node:events";
import process from "node:process";
import { parseArgs } from "node:util";
import { StaticStackModel } from "../../lib/stack/mod.ts";
import { syntheticStack } from "./synthetic_stack.ts";

class OffscreenStdout extends EventEmitter {
  columns = 160;
  rows = 48;
  isTTY = true;
  onWrite: (() => void) | undefined;
  /** Frames that showed the services table (a blank frame would make the timing meaningless). */
  framesWithTable = 0;
  write = (frame: string) => {
    if (frame.includes("svc-001")) this.framesWithTable++;
    this.onWrite?.();
    return true;
  };
}

class QuietStdin extends EventEmitter {
  isTTY = true;
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read = () => null;
}

/** Wall and CPU time of each frame, in ms. */
export interface FrameTimes {
  wallMs: number[];
  cpuMs: number[];
}

/** Frame times for `frames` snapshot changes with `services` services. */
export async function measureFrames(services: number, frames: number): Promise<FrameTimes> {
  const { render } = await import("ink");
  const { Dashboard } = await import("../../tui/Dashboard.tsx");
  const model = new StaticStackModel({ snapshot: syntheticStack(services, 0), tasks: [] });
  const stdout = new OffscreenStdout();
  const instance = render(<Dashboard model={model} />, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: new OffscreenStdout() as unknown as NodeJS.WriteStream,
    stdin: new QuietStdin() as unknown as NodeJS.ReadStream,
    // as the dashboard runs: interactive, frames throttled (rounds are spaced past the throttle)
    interactive: true,
    maxFps: 20,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  await new Promise((r) => setTimeout(r, 200));
  const wallMs: number[] = [];
  const cpuMs: number[] = [];
  for (let round = 1; round <= frames + 10; round++) {
    await new Promise((r) => setTimeout(r, 60));
    const next = syntheticStack(services, round);
    const written = new Promise<void>((resolve) => (stdout.onWrite = resolve));
    const started = performance.now();
    const cpu = process.cpuUsage();
    model.setSnapshot(next);
    await written;
    const used = process.cpuUsage(cpu);
    // the first rounds warm up the JIT
    if (round > 10) {
      wallMs.push(performance.now() - started);
      cpuMs.push((used.user + used.system) / 1000);
    }
  }
  instance.unmount();
  instance.cleanup();
  if (stdout.framesWithTable < frames) {
    throw new Error(`only ${stdout.framesWithTable} of ${frames} frames showed the services`);
  }
  return { wallMs, cpuMs };
}

/** The value below which `fraction` of the sorted values lie. */
export function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? NaN;
}

if (import.meta.main && Deno.env.get("NODE_ENV") !== "production") {
  // As `./ops tui` runs (tasks/tui.ts): React's production build. React picks its build when
  // it first loads, and this file's JSX loads it before any line here runs: start again with
  // NODE_ENV set in the environment.
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, ...Deno.args],
    env: { NODE_ENV: "production" },
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  Deno.exit(code);
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      services: { type: "string", default: "100" },
      frames: { type: "string", default: "200" },
    },
  });
  const { wallMs, cpuMs } = await measureFrames(Number(values.services), Number(values.frames));
  const wall = wallMs.sort((a, b) => a - b);
  const cpu = cpuMs.sort((a, b) => a - b);
  const round2 = (n: number) => Number(n.toFixed(2));
  console.log(JSON.stringify({
    services: Number(values.services),
    frames: wall.length,
    medianMs: round2(percentile(wall, 0.5)),
    p95Ms: round2(percentile(wall, 0.95)),
    maxMs: round2(wall.at(-1)!),
    cpuMedianMs: round2(percentile(cpu, 0.5)),
    cpuP95Ms: round2(percentile(cpu, 0.95)),
  }));
  Deno.exit(0);
}
