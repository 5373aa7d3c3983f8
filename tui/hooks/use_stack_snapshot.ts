import { useSyncExternalStore } from "react";
import type { StackModel, StackSnapshot } from "../../lib/stack/mod.ts";

/** The model's current snapshot; the component re-renders when the model publishes a new one. */
export function useStackSnapshot(model: StackModel): StackSnapshot {
  return useSyncExternalStore(
    (listener) => model.subscribe(listener),
    () => model.snapshot(),
  );
}
