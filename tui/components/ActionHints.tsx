import { Text } from "ink";
import { memo } from "react";
import type { TaskSummary } from "../../lib/stack/mod.ts";
import { styled } from "../ansi.ts";
import { defaultKeymap } from "../keymap.ts";

/** Props of {@link ActionHints}. */
export interface ActionHintsProps {
  /** The tasks the selected service offers. */
  actions: readonly TaskSummary[];
}

/**
 * The action keys of the selected service: only those whose action the
 * service offers (from the registry), then how many more the Enter menu has.
 */
export const ActionHints = memo(function ActionHints({ actions }: ActionHintsProps) {
  const offered = new Set(actions.map((a) => a.action));
  const keyed = defaultKeymap.filter((b) =>
    b.command === "action" && b.action && offered.has(b.action)
  );
  const more = actions.length - keyed.length;
  const key = (k: string) => styled(k, { color: "cyan", bold: true });
  const line = "actions: " + keyed.map((b) => `${key(b.keys[0]!)} ${b.action}  `).join("") +
    (actions.length
      ? `${key("enter")}${more > 0 ? ` ${more} more…` : " menu"}`
      : styled("none offered", { color: "gray" }));
  return <Text wrap="truncate-end">{line}</Text>;
});
