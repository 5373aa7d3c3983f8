import type { LogLine } from "../lib/stack/mod.ts";
import { type LogFilter, matchesFilter } from "./log_filter.ts";

/** How the logs view is scrolled. */
export interface LogPosition {
  /** Stick to the newest line. */
  follow: boolean;
  /** When not following: the `seq` of the last line shown. */
  anchor: number | null;
}

/** The lines that fit the view, and where they are in the filtered buffer. */
export interface LogWindow {
  visible: LogLine[];
  /** Lines that pass the filter. */
  matching: number;
  /** The position of the last visible line among the matching ones (1-based). */
  endIndex: number;
}

/** Rows one line takes on screen (lines wrap when `wrap` is on). */
export function rowsOf(text: string, width: number, wrap: boolean): number {
  if (!wrap || width <= 0) return 1;
  return Math.max(1, Math.ceil(text.length / width));
}

/**
 * The window of lines ending at the newest matching line (following) or at
 * the anchor line, filling `height` rows from the bottom up.
 */
export function logWindow(
  lines: readonly LogLine[],
  filter: LogFilter,
  position: LogPosition,
  layout: { width: number; height: number; wrap: boolean; prefixWidth: number },
): LogWindow {
  const matching = filter.pattern ? lines.filter((l) => matchesFilter(filter, l.text)) : lines;
  let end = matching.length;
  if (!position.follow && position.anchor !== null) {
    end = 0;
    for (let i = matching.length - 1; i >= 0; i--) {
      if (matching[i]!.seq <= position.anchor) {
        end = i + 1;
        break;
      }
    }
  }
  const visible: LogLine[] = [];
  let rows = 0;
  for (let i = end - 1; i >= 0; i--) {
    const line = matching[i]!;
    const need = rowsOf(line.text, layout.width - layout.prefixWidth, layout.wrap);
    if (rows + need > layout.height && visible.length > 0) break;
    visible.unshift(line);
    rows += need;
  }
  return { visible, matching: matching.length, endIndex: end };
}

/**
 * The anchor after scrolling `delta` matching lines (negative: up) in a view
 * of `height` rows. Scrolling to or past the newest line returns null (the
 * caller follows again).
 */
export function scrollAnchor(
  lines: readonly LogLine[],
  filter: LogFilter,
  position: LogPosition,
  delta: number,
  height: number,
): number | null {
  const matching = filter.pattern ? lines.filter((l) => matchesFilter(filter, l.text)) : lines;
  if (matching.length === 0) return null;
  let index = matching.length - 1;
  if (!position.follow && position.anchor !== null) {
    index = matching.findLastIndex((l) => l.seq <= position.anchor!);
    if (index < 0) index = 0;
  }
  const next = index + delta;
  if (next >= matching.length - 1) return null;
  // never leave the view half empty at the top: the anchor is the last line shown
  const lowest = Math.min(Math.max(0, height - 1), matching.length - 1);
  return matching[Math.max(lowest, next)]!.seq;
}
