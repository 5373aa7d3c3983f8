import { useEffect, useState } from "react";

/**
 * Re-renders every `intervalMs` while `active` (progress animations); no
 * timer at all otherwise, so an idle dashboard does no work between polls.
 */
export function useTicker(active: boolean, intervalMs = 250): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setTick((t) => t + 1), intervalMs);
    return () => clearInterval(timer);
  }, [active, intervalMs]);
  return tick;
}
