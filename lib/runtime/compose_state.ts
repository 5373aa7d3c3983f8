import type { ProcessInfo } from "./runtime.ts";

/** One container as the compose runtime sees it (from `compose ps` and `docker inspect`). */
export interface ContainerFacts {
  id: string;
  service: string;
  /** Replica number (1 unless scaled). */
  replica: number;
  /** Docker's state: `running`, `exited`, `restarting`, `created`, `paused`, `dead`, `removing`. */
  status: string;
  /** The container health check's verdict; empty without a health check. */
  health: string;
  exitCode: number;
  oomKilled: boolean;
  /** Host pid of the container's main process, while running. */
  pid: number | null;
  startedAt: string | null;
  /** Host ports the container publishes. */
  publishedPorts: number[];
  /** The container's addresses on its networks (reachable from a Linux host). */
  addresses: string[];
  /** Output of the last health check run, trimmed. */
  lastCheck: string | null;
  /** Times Docker restarted the container (its restart policy, after an exit). */
  restartCount: number;
}

interface PsEntry {
  ID?: string;
  Service?: string;
  State?: string;
  Health?: string;
  ExitCode?: number;
  Publishers?: { URL?: string; TargetPort?: number; PublishedPort?: number }[] | null;
}

interface InspectEntry {
  Id?: string;
  RestartCount?: number;
  State?: {
    Status?: string;
    Pid?: number;
    ExitCode?: number;
    OOMKilled?: boolean;
    StartedAt?: string;
    Health?: { Status?: string; Log?: { Output?: string; ExitCode?: number }[] | null };
  };
  Config?: { Labels?: Record<string, string> | null };
  NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> | null };
}

/** `docker compose ps --format json`: one object per line (Compose ≥ 2.21) or one array (older). */
export function parsePs(text: string): PsEntry[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  if (trimmed.startsWith("[")) return JSON.parse(trimmed) as PsEntry[];
  return trimmed.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as PsEntry);
}

/** Joins `compose ps` entries with `docker inspect` output (matched by id) into container facts. */
export function containerFacts(psText: string, inspectText: string): ContainerFacts[] {
  const inspected = inspectText.trim() ? JSON.parse(inspectText) as InspectEntry[] : [];
  const byId = new Map(inspected.map((i) => [i.Id ?? "", i]));
  return parsePs(psText).map((entry): ContainerFacts => {
    const id = entry.ID ?? "";
    const detail = byId.get(id) ??
      [...byId.entries()].find(([full]) => id !== "" && full.startsWith(id))?.[1];
    const state = detail?.State;
    const running = (state?.Status ?? entry.State) === "running";
    const log = state?.Health?.Log ?? [];
    const last = log.length ? log[log.length - 1]?.Output?.trim() : undefined;
    return {
      id,
      service: entry.Service ?? detail?.Config?.Labels?.["com.docker.compose.service"] ?? "",
      replica: Number(detail?.Config?.Labels?.["com.docker.compose.container-number"] ?? 1),
      status: state?.Status ?? entry.State ?? "unknown",
      health: state?.Health?.Status ?? entry.Health ?? "",
      exitCode: state?.ExitCode ?? entry.ExitCode ?? 0,
      oomKilled: state?.OOMKilled ?? false,
      pid: running && state?.Pid ? state.Pid : null,
      startedAt: running && state?.StartedAt ? new Date(state.StartedAt).toISOString() : null,
      publishedPorts: (entry.Publishers ?? []).flatMap((p) =>
        p.PublishedPort ? [p.PublishedPort] : []
      ),
      lastCheck: last ? last.split("\n").slice(-3).join(" ").slice(0, 200) : null,
      restartCount: detail?.RestartCount ?? 0,
      addresses: Object.values(detail?.NetworkSettings?.Networks ?? {}).flatMap((n) =>
        n.IPAddress ? [n.IPAddress] : []
      ),
    };
  });
}

function exitReason(c: ContainerFacts): string {
  return `exited with code ${c.exitCode}${c.oomKilled ? " (out of memory)" : ""}`;
}

/**
 * The process state of one service from its containers: none → stopped; a
 * running container → running (starting while its health check has not passed
 * yet); a restart loop or a non-zero exit → crashed, with the reason. Where the
 * service's port is not published on this host, the container health check is
 * the health verdict (`health`), since no probe can reach the service from here.
 */
export function serviceProcessInfo(
  containers: readonly ContainerFacts[],
  port: number | undefined,
): ProcessInfo {
  const sorted = [...containers].sort((a, b) => a.replica - b.replica);
  const running = sorted.filter((c) => c.status === "running");
  const restarts = sorted.reduce((sum, c) => sum + c.restartCount, 0);
  if (running.length > 0) {
    const first = running[0]!;
    const info: ProcessInfo = {
      state: running.every((c) => c.health === "starting") ? "starting" : "running",
      pid: first.pid,
      startedAt: first.startedAt,
      restarts,
    };
    if (sorted.length > 1) info.replicas = running.length;
    const published = port !== undefined && running.some((c) => c.publishedPorts.includes(port));
    if (!published) info.health = containerHealth(running);
    return info;
  }
  const first = sorted[0];
  if (!first) return { state: "stopped", pid: null, startedAt: null };
  if (first.status === "restarting") {
    return {
      state: "crashed",
      pid: null,
      startedAt: null,
      reason: `restarting after it ${exitReason(first)}`,
      restarts,
    };
  }
  if (first.status === "dead" || (first.status === "exited" && first.exitCode !== 0)) {
    return {
      state: "crashed",
      pid: null,
      startedAt: null,
      reason: `container ${exitReason(first)}`,
    };
  }
  const reason = first.status === "exited"
    ? "container exited"
    : first.status === "created"
    ? "container created, not started"
    : `container ${first.status}`;
  return { state: "stopped", pid: null, startedAt: null, reason };
}

function containerHealth(running: readonly ContainerFacts[]): { healthy: boolean; detail: string } {
  const healthy = running.filter((c) => c.health === "healthy" || c.health === "").length;
  const unchecked = running.every((c) => c.health === "");
  if (unchecked) return { healthy: true, detail: "running (no health check; port not published)" };
  const failing = running.find((c) => c.health !== "healthy" && c.health !== "");
  const replicas = running.length > 1 ? `${healthy}/${running.length} replicas healthy` : "";
  if (!failing) {
    return { healthy: true, detail: replicas || "container health check passing" };
  }
  const why = `container ${failing.health}${failing.lastCheck ? `: ${failing.lastCheck}` : ""}`;
  return { healthy: false, detail: replicas ? `${replicas}; ${why}` : why };
}
