/**
 * Short, fixed-width renderings of the figures the dashboard shows
 * (durations, ages, memory, CPU, latency).
 * @module
 */

/** `42s`, `3m05s`, `2h10m`, `4d03h`; `-` for unknown. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "-";
  const s = Math.max(0, Math.round(seconds));
  const pad = (n: number) => String(n).padStart(2, "0");
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d${pad(Math.floor((s % 86400) / 3600))}h`;
}

/** How long ago an ISO time was (`12m05s`), or `never` when unknown. */
export function formatAge(iso: string | null, now: number): string {
  if (iso === null) return "never";
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return "?";
  return formatDuration((now - at) / 1000);
}

/** `812K`, `143M`, `2.1G`; `-` for unknown. */
export function formatMemory(kb: number | null): string {
  if (kb === null) return "-";
  if (kb < 1024) return `${Math.round(kb)}K`;
  if (kb < 1024 * 1024) return `${Math.round(kb / 1024)}M`;
  return `${(kb / 1024 / 1024).toFixed(1)}G`;
}

/** `3.2%`, `45%`; `-` for unknown. */
export function formatCpu(percent: number | null): string {
  if (percent === null) return "-";
  return percent < 10 ? `${percent.toFixed(1)}%` : `${Math.round(percent)}%`;
}

/** `1.2ms`, `35ms`; `-` for unknown. */
export function formatLatency(ms: number | null): string {
  if (ms === null) return "-";
  return ms < 10 ? `${ms.toFixed(1)}ms` : `${Math.round(ms)}ms`;
}

/** `03:04:05` local wall-clock time of an ISO timestamp. */
export function formatClock(iso: string | null): string {
  if (iso === null) return "--:--:--";
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Cuts text to `width` columns, ending with `…` when it was longer. */
export function fit(text: string, width: number): string {
  if (width <= 0) return "";
  if (text.length <= width) return text;
  return width === 1 ? "…" : text.slice(0, width - 1) + "…";
}
