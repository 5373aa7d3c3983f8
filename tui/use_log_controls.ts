import { useState } from "react";
import type { LogSnapshot, StackModel } from "../lib/stack/mod.ts";
import { useLogStream } from "./hooks/use_log_stream.ts";
import { compileLogFilter, type LogFilter, matchesFilter } from "./log_filter.ts";
import { type LogPosition, scrollAnchor } from "./log_window.ts";

/** The logs view's state and its key handling. */
export interface LogControls {
  /** Services whose logs are shown (several: merged). */
  services: readonly string[];
  logs: LogSnapshot;
  position: LogPosition;
  wrap: boolean;
  filter: LogFilter;
  /** The filter being typed after `/`, or null. */
  filterDraft: string | null;
  /** Shows the logs of these services (following the newest line). */
  open(services: readonly string[]): void;
  /**
   * Handles a key of the logs view (filter prompt, follow, wrap, scope,
   * scrolling); false when the key is not the logs view's own.
   */
  handleKey(name: string, height: number): boolean;
}

const namedKeys = new Set([
  "up",
  "down",
  "left",
  "right",
  "pgup",
  "pgdn",
  "home",
  "end",
  "tab",
  "shift+tab",
]);

/**
 * State of the logs view. The log stream is open only while `active` (the
 * logs view is shown): no log file is polled otherwise.
 */
export function useLogControls(
  model: StackModel,
  allServices: readonly string[],
  active: boolean,
): LogControls {
  const [services, setServices] = useState<readonly string[]>([]);
  const [single, setSingle] = useState<string | null>(null);
  const [position, setPosition] = useState<LogPosition>({ follow: true, anchor: null });
  const [wrap, setWrap] = useState(false);
  const [filter, setFilter] = useState<LogFilter>(() => compileLogFilter(""));
  const [filterDraft, setFilterDraft] = useState<string | null>(null);
  const logs = useLogStream(model, active ? services : []);

  const open = (next: readonly string[]) => {
    setServices(next);
    if (next.length === 1) setSingle(next[0]!);
    setPosition({ follow: true, anchor: null });
  };

  const scroll = (delta: number, height: number) => {
    const anchor = scrollAnchor(logs.lines, filter, position, delta, height);
    setPosition(anchor === null ? { follow: true, anchor: null } : { follow: false, anchor });
  };

  const handleKey = (name: string, height: number): boolean => {
    const body = Math.max(1, height - 2);
    if (filterDraft !== null) {
      if (name === "enter") {
        setFilter(compileLogFilter(filterDraft));
        setFilterDraft(null);
        setPosition({ follow: true, anchor: null });
      } else if (name === "esc") setFilterDraft(null);
      else if (name === "backspace") setFilterDraft(filterDraft.slice(0, -1));
      else if (!namedKeys.has(name) && !name.startsWith("ctrl+") && name !== "") {
        setFilterDraft(filterDraft + name);
      }
      return true;
    }
    switch (name) {
      case "/":
        setFilterDraft(filter.source);
        return true;
      case "f": {
        if (position.follow) {
          const matching = logs.lines.filter((l) => matchesFilter(filter, l.text));
          setPosition({ follow: false, anchor: matching.at(-1)?.seq ?? null });
        } else setPosition({ follow: true, anchor: null });
        return true;
      }
      case "w":
        setWrap(!wrap);
        return true;
      case "a":
        if (services.length > 1) open([single ?? allServices[0] ?? ""].filter(Boolean));
        else open(allServices);
        return true;
      case "up":
      case "k":
        scroll(-1, body);
        return true;
      case "down":
      case "j":
        scroll(1, body);
        return true;
      case "pgup":
        scroll(-Math.max(1, body - 1), body);
        return true;
      case "pgdn":
        scroll(Math.max(1, body - 1), body);
        return true;
      case "home":
      case "g":
        scroll(-logs.lines.length, body);
        return true;
      case "end":
      case "G":
        setPosition({ follow: true, anchor: null });
        return true;
      case "esc":
        if (!filter.pattern) return false;
        setFilter(compileLogFilter(""));
        return true;
      default:
        return false;
    }
  };

  return { services, logs, position, wrap, filter, filterDraft, open, handleKey };
}
