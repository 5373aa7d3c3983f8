import type { Lifecycle } from "../lib/stack/mod.ts";

/** The colour of a lifecycle state: green healthy, red crashed or unhealthy, yellow starting, gray stopped. */
export function lifecycleColor(lifecycle: Lifecycle): string {
  switch (lifecycle) {
    case "healthy":
      return "green";
    case "unhealthy":
    case "crashed":
      return "red";
    case "starting":
      return "yellow";
    case "stopped":
      return "gray";
  }
}

/** The marker drawn before a service name in each state (readable without colour too). */
export function lifecycleMark(lifecycle: Lifecycle): string {
  switch (lifecycle) {
    case "healthy":
      return "●";
    case "unhealthy":
      return "▲";
    case "crashed":
      return "✖";
    case "starting":
      return "◐";
    case "stopped":
      return "○";
  }
}

const prefixColors = ["cyan", "magenta", "blue", "yellow", "green", "redBright", "cyanBright"];

/** A stable colour per service name for merged log prefixes. */
export function serviceColor(name: string): string {
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return prefixColors[hash % prefixColors.length]!;
}
