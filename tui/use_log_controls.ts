import { useRef, useState } from "react";
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

interface LogState {
  services: readonly string[];
  /** The service `a` returns to from the merged view. */
  single: string | null;
  position: LogPosition;
  wrap: boolean;
  filter: LogFilter;
  filterDraft: string | null;
}

const initialState: LogState = {
  services: [],
  single: null,
  position: { follow: true, anchor: null },
  wrap: false,
  filter: compileLogFilter(""),
  filterDraft: null,
};

/**
 * State of the logs view. The log stream is open only while `active` (the
 * logs view is shown): no log file is polled otherwise.
 */
export function useLogControls(
  model: StackModel,
  allServices: readonly string[],
  active: boolean,
): LogControls {
  // One state object mirrored in a ref: keys that arrive faster than renders
  // (a paste, a quick typist, tmux) each see the state the previous one left.
  const [state, setState] = useState<LogState>(initialState);
  const current = useRef(state);
  const update = (change: Partial<LogState>) => {
    current.current = { ...current.current, ...change };
    setState(current.current);
  };
  const logs = useLogStream(model, active ? state.services : []);
  const linesRef = useRef(logs.lines);
  linesRef.current = logs.lines;

  const open = (next: readonly string[]) => {
    update({
      services: next,
      ...(next.length === 1 ? { single: next[0]! } : {}),
      position: { follow: true, anchor: null },
    });
  };

  const scroll = (delta: number, height: number) => {
    const { filter, position } = current.current;
    const anchor = scrollAnchor(linesRef.current, filter, position, delta, height);
    update({
      position: anchor === null ? { follow: true, anchor: null } : { follow: false, anchor },
    });
  };

  const handleKey = (name: string, height: number): boolean => {
    const body = Math.max(1, height - 2);
    const { filterDraft, filter, position, wrap, services, single } = current.current;
    if (filterDraft !== null) {
      if (name === "enter") {
        update({
          filter: compileLogFilter(filterDraft),
          filterDraft: null,
          position: { follow: true, anchor: null },
        });
      } else if (name === "esc") update({ filterDraft: null });
      else if (name === "backspace") update({ filterDraft: filterDraft.slice(0, -1) });
      else if (!namedKeys.has(name) && !name.startsWith("ctrl+") && name !== "") {
        update({ filterDraft: filterDraft + name });
      }
      return true;
    }
    switch (name) {
      case "/":
        update({ filterDraft: filter.source });
        return true;
      case "f": {
        if (position.follow) {
          const matching = linesRef.current.filter((l) => matchesFilter(filter, l.text));
          update({ position: { follow: false, anchor: matching.at(-1)?.seq ?? null } });
        } else update({ position: { follow: true, anchor: null } });
        return true;
      }
      case "w":
        update({ wrap: !wrap });
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
        scroll(-linesRef.current.length, body);
        return true;
      case "end":
      case "G":
        update({ position: { follow: true, anchor: null } });
        return true;
      case "esc":
        if (!filter.pattern) return false;
        update({ filter: compileLogFilter("") });
        return true;
      default:
        return false;
    }
  };

  return {
    services: state.services,
    logs,
    position: state.position,
    wrap: state.wrap,
    filter: state.filter,
    filterDraft: state.filterDraft,
    open,
    handleKey,
  };
}
