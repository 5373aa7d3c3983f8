import { useEffect, useState, useSyncExternalStore } from "react";
import type { LogSnapshot, LogStream, StackModel } from "../../lib/stack/mod.ts";

const empty: LogSnapshot = { version: 0, lines: [], dropped: 0 };
const noStream = { subscribe: () => () => {}, snapshot: () => empty };

/**
 * Follows the logs of the given services while the component is mounted
 * (and while `services` stays the same); the stream is closed on change or
 * unmount, so no file is polled when the logs view is not shown.
 */
export function useLogStream(model: StackModel, services: readonly string[]): LogSnapshot {
  const key = services.join(",");
  const [stream, setStream] = useState<LogStream | undefined>(undefined);
  useEffect(() => {
    if (key === "") return;
    const opened = model.logs(key.split(","));
    setStream(opened);
    return () => {
      opened.close();
      setStream(undefined);
    };
  }, [model, key]);
  const source = stream ?? noStream;
  return useSyncExternalStore(
    (listener) => source.subscribe(listener),
    () => source.snapshot(),
  );
}
