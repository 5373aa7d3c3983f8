/** A stack snapshot with many made-up services, for measuring render time. */
import { lifecycleOf, type ServiceSnapshot, type StackSnapshot } from "../../lib/stack/mod.ts";

const states = ["running", "running", "running", "stopped", "crashed", "starting"] as const;

/** `count` services in waves of ten (each depends on two of the wave before), figures varying with `round`. */
export function syntheticStack(count: number, round = 0): StackSnapshot {
  const names = Array.from({ length: count }, (_, i) => `svc-${String(i).padStart(3, "0")}`);
  const waves: string[][] = [];
  for (let i = 0; i < count; i += 10) waves.push(names.slice(i, i + 10));
  const services: ServiceSnapshot[] = names.map((name, i) => {
    const state = states[(i + round) % states.length]!;
    const running = state === "running" || state === "starting";
    const healthy = state === "running" && (i + round) % 7 !== 0;
    const wave = Math.floor(i / 10);
    const dependsOn = wave === 0
      ? []
      : [names[(wave - 1) * 10 + (i % 10)]!, names[(wave - 1) * 10]!];
    return {
      name,
      description: `synthetic service ${i}`,
      state,
      healthy,
      lifecycle: lifecycleOf(state, healthy),
      latencyMs: running ? 1 + ((i * 7 + round) % 40) / 3 : null,
      pid: running ? 10_000 + i : null,
      port: 20_000 + i,
      detail: healthy ? "ok" : state,
      startedAt: running ? "2026-01-01T00:00:00.000Z" : null,
      uptimeSeconds: running ? 3600 + round * 2 + i : null,
      dependsOn: [...new Set(dependsOn)],
      restarts: i % 3,
      crashRestarts: i % 3,
      cpuPercent: running ? ((i + round) % 50) / 3 : null,
      memoryKb: running ? 10_000 + i * 1000 : null,
      lastBackupAt: i % 4 ? "2026-01-01T00:00:00.000Z" : null,
      dependents: [],
      waitingOn: healthy ? [] : dependsOn.slice(0, 1),
      capabilities: i % 2 ? ["backup"] : [],
    };
  });
  return {
    environment: "synthetic",
    protected: false,
    runtime: "native",
    updatedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, round * 2)).toISOString(),
    metricsAt: null,
    services,
    waves,
    error: null,
    running: [],
    history: [],
  };
}
