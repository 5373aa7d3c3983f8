import type { Environment } from "../config/mod.ts";
import { join } from "../posix_path.ts";
import { projectRoot } from "../project_paths.ts";
import type { Runtime } from "../runtime/runtime.ts";
import { serviceHost } from "../service/service_context.ts";
import { httpGet, type Probe } from "../probes/mod.ts";
import { stackStatus } from "../stack/stack_status.ts";
import { newestBackupIn } from "../stack/last_backups.ts";
import { lastSuccessfulRun } from "../schedule/run_history.ts";
import { scheduleStatuses } from "../schedule/schedule_status.ts";
import { Exposition } from "./exposition.ts";

/** How long one source (a backend, a folder) may take before it is left out of a scrape. */
const sourceTimeoutMs = 2000;

/** Every family the exposition declares: name, type, help (the alert rules use these names). */
export const families: readonly [string, "gauge" | "counter", string][] = [
  ["hailmary_service_up", "gauge", "1 when the service's process runs (running or starting)"],
  [
    "hailmary_service_healthy",
    "gauge",
    "1 when the service's probe (or container health check) passes",
  ],
  ["hailmary_service_probe_latency_seconds", "gauge", "How long the service's probe took"],
  ["hailmary_service_start_time_seconds", "gauge", "Unix time the service's process started"],
  [
    "hailmary_service_restarts_total",
    "counter",
    "Starts after a crash (native: since the last stop on purpose; compose: Docker's restart count)",
  ],
  [
    "hailmary_postgres_wal_segments_waiting",
    "gauge",
    "Finished WAL segments the archiver has not shipped yet (point-in-time recovery on)",
  ],
  [
    "hailmary_postgres_wal_archive_lag_seconds",
    "gauge",
    "How long the oldest WAL segment not shipped yet has waited (0 when none waits)",
  ],
  [
    "hailmary_postgres_wal_last_archived_timestamp_seconds",
    "gauge",
    "Unix time the archive's newest segment was written (where the server's folder cannot be read)",
  ],
  ["hailmary_backups", "gauge", "Backups in the catalog"],
  [
    "hailmary_backup_last_success_timestamp_seconds",
    "gauge",
    "Unix time the newest complete backup finished",
  ],
  ["hailmary_backup_last_size_bytes", "gauge", "Size of the newest complete backup"],
  [
    "hailmary_backup_filesystem_avail_bytes",
    "gauge",
    "Bytes free for the backup folder's file system",
  ],
  ["hailmary_backup_filesystem_size_bytes", "gauge", "Size of the backup folder's file system"],
  ["hailmary_schedule_installed", "gauge", "1 when the schedule's line is in the system's cron"],
  ["hailmary_schedule_last_run_timestamp_seconds", "gauge", "Unix time the last run started"],
  ["hailmary_schedule_last_run_success", "gauge", "1 when the last run exited 0"],
  ["hailmary_schedule_last_run_exit_code", "gauge", "Exit code of the last run"],
  ["hailmary_schedule_last_run_duration_seconds", "gauge", "How long the last run took"],
  [
    "hailmary_schedule_last_success_timestamp_seconds",
    "gauge",
    "Unix time the last successful run started",
  ],
  ["hailmary_schedule_next_run_timestamp_seconds", "gauge", "Unix time the schedule is next due"],
  ["hailmary_schedule_missed", "gauge", "1 when a due run did not start (cron is not running it)"],
  ["hailmary_ingest_queue_depth", "gauge", "Files enqueued and not yet delivered to a worker"],
  ["hailmary_ingest_in_flight", "gauge", "Files delivered to a worker and not yet finished"],
  ["hailmary_ingest_retrying", "gauge", "Files waiting for a retry"],
  ["hailmary_ingest_dead_letters", "gauge", "Files that failed for good"],
  ["hailmary_ingest_lag_seconds", "gauge", "Age of the oldest unfinished file"],
  ["hailmary_documents_stored", "gauge", "Documents in PostgreSQL"],
  ["hailmary_documents_indexed", "gauge", "Documents in the OpenSearch index"],
  [
    "hailmary_documents_waiting_index",
    "gauge",
    "Stored documents not yet (or not successfully) indexed",
  ],
  ["hailmary_metrics_collect_duration_seconds", "gauge", "How long collecting these metrics took"],
  [
    "hailmary_metrics_collected_timestamp_seconds",
    "gauge",
    "Unix time these metrics were collected (--serve collects every --interval seconds)",
  ],
];

const seconds = (iso: string | null | undefined) => (iso ? Date.parse(iso) / 1000 : undefined);

/** Resolves with `fallback` when `work` takes longer than the source timeout or fails. */
async function bounded<T>(work: Promise<T>, fallback: T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<T>((resolve) => {
        timer = setTimeout(() => resolve(fallback), sourceTimeoutMs);
      }),
    ]);
  } catch {
    return fallback;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Collects the stack's metrics: services (up, healthy, probe latency, start
 * time, starts after a crash), the backup catalog (newest backup's time and size,
 * free space), schedules (last run, result, next run, missed), the ingest
 * queue (from the ingestor's /health) and documents stored and indexed.
 * Every source is read at once and bounded: one that does not answer leaves
 * its series out of this scrape instead of failing it.
 */
export class MetricsCollector {
  readonly #environment: Environment;
  readonly #runtime: Runtime;

  constructor(environment: Environment, runtime: Runtime) {
    this.#environment = environment;
    this.#runtime = runtime;
  }

  /** One scrape: the exposition text. */
  async collect(signal?: AbortSignal): Promise<string> {
    const began = performance.now();
    const environment = this.#environment;
    const env = { environment: environment.name };
    const out = new Exposition();
    for (const [name, type, help] of families) out.family(name, type, help);
    const names = environment.services.map((s) => s.definition.name);
    // the ingestor's probe reads the health document the ingest figures come from
    const ingestor = ingestorHealth(environment);
    const [status, backups, disk, schedules] = await Promise.all([
      stackStatus(environment, this.#runtime, signal, ingestor ? { ingestor: ingestor.probe } : {}),
      bounded(Promise.all(names.map((n) => newestBackup(environment.backupDir, n))), []),
      bounded(filesystem(environment.backupDir), undefined),
      bounded(scheduleFigures(environment), []),
    ]);

    for (const s of status.services) {
      const labels = { ...env, service: s.name };
      const up = s.state === "running" || s.state === "starting";
      out.add("hailmary_service_up", labels, up ? 1 : 0);
      out.add("hailmary_service_healthy", labels, s.healthy ? 1 : 0);
      if (s.latencyMs !== null) {
        out.add("hailmary_service_probe_latency_seconds", labels, s.latencyMs / 1000);
      }
      if (s.startedAt) {
        out.add("hailmary_service_start_time_seconds", labels, seconds(s.startedAt)!);
      }
      if (s.crashRestarts !== null) {
        out.add("hailmary_service_restarts_total", labels, s.crashRestarts);
      }
      const wal = s.walArchive;
      if (wal && "lastArchivedAt" in wal) {
        out.add(
          "hailmary_postgres_wal_last_archived_timestamp_seconds",
          labels,
          seconds(wal.lastArchivedAt)!,
        );
      } else if (wal) {
        out.add("hailmary_postgres_wal_segments_waiting", labels, wal.segmentsWaiting);
        out.add("hailmary_postgres_wal_archive_lag_seconds", labels, wal.lagSeconds);
      }
    }
    for (const b of backups) {
      if (!b) continue;
      const labels = { ...env, service: b.service };
      out.add("hailmary_backups", labels, b.count);
      if (b.finishedAt) {
        out.add("hailmary_backup_last_success_timestamp_seconds", labels, seconds(b.finishedAt)!);
        out.add("hailmary_backup_last_size_bytes", labels, b.totalBytes);
      }
    }
    if (disk) {
      out.add("hailmary_backup_filesystem_avail_bytes", env, disk.avail);
      out.add("hailmary_backup_filesystem_size_bytes", env, disk.size);
    }
    for (const s of schedules) {
      const labels = { ...env, schedule: s.name, task: s.task };
      out.add("hailmary_schedule_installed", labels, s.installed ? 1 : 0);
      out.add("hailmary_schedule_missed", labels, s.missed ? 1 : 0);
      if (s.nextRun) {
        out.add("hailmary_schedule_next_run_timestamp_seconds", labels, seconds(s.nextRun)!);
      }
      if (s.lastRun) {
        out.add(
          "hailmary_schedule_last_run_timestamp_seconds",
          labels,
          seconds(s.lastRun.startedAt)!,
        );
        out.add("hailmary_schedule_last_run_success", labels, s.lastRun.exitCode === 0 ? 1 : 0);
        out.add("hailmary_schedule_last_run_exit_code", labels, s.lastRun.exitCode);
        out.add("hailmary_schedule_last_run_duration_seconds", labels, s.lastRun.durationMs / 1000);
      }
      if (s.lastSuccess) {
        out.add(
          "hailmary_schedule_last_success_timestamp_seconds",
          labels,
          seconds(s.lastSuccess)!,
        );
      }
    }
    const ingest = ingestor?.document();
    if (ingest?.queue) {
      out.add("hailmary_ingest_queue_depth", env, ingest.queue.depth);
      out.add("hailmary_ingest_in_flight", env, ingest.queue.inFlight);
      out.add("hailmary_ingest_retrying", env, ingest.queue.retrying);
      out.add("hailmary_ingest_dead_letters", env, ingest.queue.dead);
      out.add("hailmary_ingest_lag_seconds", env, ingest.queue.lagSeconds);
    }
    if (ingest?.index) out.add("hailmary_documents_waiting_index", env, ingest.index.waiting);
    const documents = ingest?.documents;
    if (typeof documents?.stored === "number") {
      out.add("hailmary_documents_stored", env, documents.stored);
    }
    if (typeof documents?.indexed === "number") {
      out.add("hailmary_documents_indexed", env, documents.indexed);
    }
    out.add("hailmary_metrics_collect_duration_seconds", env, (performance.now() - began) / 1000);
    out.add("hailmary_metrics_collected_timestamp_seconds", env, Date.now() / 1000);
    return out.text();
  }
}

interface BackupFigures {
  service: string;
  count: number;
  finishedAt: string | null;
  totalBytes: number;
}

/** The newest complete backup of a service (the catalog's manifests decide). */
async function newestBackup(backupDir: string, service: string): Promise<BackupFigures | null> {
  const found = await newestBackupIn(join(backupDir, service));
  return found && { service, ...found };
}

/** How long a reading of the backup disk is reused (free space moves slowly; alerts wait 10 minutes). */
const diskReadingSeconds = 60;

/**
 * Free and total bytes of the file system holding the backup folder, read
 * with `df` at most once a minute: the reading is kept in the snapshot cache
 * (`.ops/snapshots`), so most runs spawn no program for it.
 */
async function filesystem(path: string): Promise<{ avail: number; size: number } | undefined> {
  const cache = join(projectRoot, ".ops", "snapshots", `disk-${cacheKey(path)}.json`);
  try {
    const kept = JSON.parse(await Deno.readTextFile(cache)) as {
      at: number;
      avail: number;
      size: number;
    };
    const age = Date.now() - kept.at;
    if (age >= 0 && age < diskReadingSeconds * 1000) return { avail: kept.avail, size: kept.size };
  } catch {
    // no reading yet
  }
  const reading = await readFilesystem(path);
  if (reading) {
    const temp = `${cache}.${Deno.pid}.tmp`;
    await Deno.writeTextFile(temp, JSON.stringify({ at: Date.now(), ...reading }))
      .then(() => Deno.rename(temp, cache))
      .catch(() => Deno.remove(temp).catch(() => {}));
  }
  return reading;
}

function cacheKey(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16);
}

/** `df` of the nearest existing folder of `path`. */
async function readFilesystem(path: string): Promise<{ avail: number; size: number } | undefined> {
  let target = path;
  while (target !== "/" && !(await Deno.stat(target).then(() => true, () => false))) {
    target = target.replace(/\/[^/]+\/?$/, "") || "/";
  }
  const { success, stdout } = await new Deno.Command("df", {
    args: ["-P", "-B1", "--", target],
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!success) return undefined;
  // Filesystem 1-blocks Used Available Capacity Mounted-on
  const fields = new TextDecoder().decode(stdout).trim().split("\n").at(-1)?.split(/\s+/) ?? [];
  const size = Number(fields[1]);
  const avail = Number(fields[3]);
  return Number.isFinite(size) && Number.isFinite(avail) ? { avail, size } : undefined;
}

async function scheduleFigures(environment: Environment) {
  if ((environment.schedules ?? []).length === 0) return [];
  const statuses = await scheduleStatuses(environment);
  return await Promise.all(statuses.map(async (s) => {
    const lastSuccess = s.lastRun?.exitCode === 0
      ? s.lastRun.startedAt
      : s.lastRun
      ? (await lastSuccessfulRun(environment.stateDir, s.name))?.startedAt ?? null
      : null;
    return { ...s, lastSuccess };
  }));
}

interface IngestHealth {
  queue?:
    | { depth: number; inFlight: number; retrying: number; dead: number; lagSeconds: number }
    | null;
  index?: { waiting: number; refused: number } | null;
  documents?: { stored: number | null; indexed: number | null } | null;
}

/**
 * The ingestor's probe as metrics runs it: the same health check (2xx is
 * healthy) on `/health?documents=1`, whose document carries the queue,
 * index and document figures (the ingestor holds the connections to
 * PostgreSQL and Redis, so a scrape opens none). A plain socket GET, as the
 * probes make: starting fetch's client costs more than the request.
 */
function ingestorHealth(
  environment: Environment,
): { probe: Probe; document: () => IngestHealth | undefined } | undefined {
  const ingestor = environment.services.find((s) => s.definition.name === "ingestor");
  if (!ingestor?.port) return undefined;
  const url = `http://${serviceHost(ingestor)}:${ingestor.port}/health?documents=1`;
  let document: IngestHealth | undefined;
  const probe: Probe = async (signal) => {
    const began = performance.now();
    try {
      const { status, body } = await httpGet(
        url,
        AbortSignal.any([signal, AbortSignal.timeout(3000)]),
      );
      try {
        document = JSON.parse(body) as IngestHealth;
      } catch {
        document = undefined;
      }
      return {
        healthy: status >= 200 && status < 300,
        latencyMs: performance.now() - began,
        detail: status ? `HTTP ${status}` : "no HTTP answer",
      };
    } catch (error) {
      return {
        healthy: false,
        latencyMs: performance.now() - began,
        detail: error instanceof Error ? error.message : String(error),
      };
    }
  };
  return { probe, document: () => document };
}
