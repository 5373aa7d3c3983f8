import { useCallback, useRef, useState } from "react";

/**
 * State whose latest value can be read at once through `read()`: key
 * handlers see what the previous key set even before React re-renders
 * (keys may arrive faster than frames).
 */
export function useSyncedState<T>(
  initial: T | (() => T),
): [T, (next: T | ((previous: T) => T)) => void, () => T] {
  const [value, setValue] = useState<T>(initial);
  const latest = useRef<T>(value);
  const set = useCallback((next: T | ((previous: T) => T)) => {
    latest.current = typeof next === "function"
      ? (next as (previous: T) => T)(latest.current)
      : next;
    setValue(latest.current);
  }, []);
  const read = useCallback(() => latest.current, []);
  return [value, set, read];
}
