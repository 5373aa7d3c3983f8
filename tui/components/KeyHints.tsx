import { Text } from "ink";
import { bindingsFor, type KeyBinding, type View } from "../keymap.ts";

/** Props of {@link KeyHints}. */
export interface KeyHintsProps {
  keymap: readonly KeyBinding[];
  view: View;
  readOnly: boolean;
}

const shown = new Set(["logs", "logs-all", "menu", "palette", "help", "quit", "sort", "next-view"]);

/** The footer: the main keys of the current view, generated from the key map. */
export function KeyHints({ keymap, view, readOnly }: KeyHintsProps) {
  const bindings = bindingsFor(keymap, view, readOnly).filter((b) => shown.has(b.command));
  return (
    <Text wrap="truncate-end" color="gray">
      {"↑↓ select  "}
      {bindings.map((b) => (
        <Text key={b.command + (b.action ?? "")}>
          <Text color="cyan" bold>{b.keys[0]}</Text>
          {` ${b.action ?? b.command.replace("-", " ")}  `}
        </Text>
      ))}
    </Text>
  );
}
