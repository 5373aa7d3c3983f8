import { Text } from "ink";
import type { TaskSummary } from "../../lib/stack/mod.ts";
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
export function ActionHints({ actions }: ActionHintsProps) {
  const offered = new Set(actions.map((a) => a.action));
  const keyed = defaultKeymap.filter((b) =>
    b.command === "action" && b.action && offered.has(b.action)
  );
  const more = actions.length - keyed.length;
  return (
    <Text wrap="truncate-end">
      {"actions: "}
      {keyed.map((b) => (
        <Text key={b.action}>
          <Text bold color="cyan">{b.keys[0]}</Text>
          {` ${b.action}  `}
        </Text>
      ))}
      {actions.length
        ? (
          <Text>
            <Text bold color="cyan">enter</Text>
            {more > 0 ? ` ${more} more…` : " menu"}
          </Text>
        )
        : <Text color="gray">none offered</Text>}
    </Text>
  );
}
