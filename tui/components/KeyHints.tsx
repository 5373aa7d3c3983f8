import { Text } from "ink";
import { memo } from "react";
import { styled } from "../ansi.ts";
import { bindingsFor, type KeyBinding, type View } from "../keymap.ts";

/** Props of {@link KeyHints}. */
export interface KeyHintsProps {
  keymap: readonly KeyBinding[];
  view: View;
  readOnly: boolean;
}

const shown = new Set(["logs", "logs-all", "menu", "palette", "help", "quit", "sort", "next-view"]);

/** The footer: the main keys of the current view, generated from the key map. */
export const KeyHints = memo(function KeyHints({ keymap, view, readOnly }: KeyHintsProps) {
  const bindings = bindingsFor(keymap, view, readOnly).filter((b) => shown.has(b.command));
  const line = styled("↑↓", { color: "cyan", bold: true }) +
    styled(" select  ", { color: "gray" }) +
    bindings.map((b) =>
      styled(b.keys[0]!, { color: "cyan", bold: true }) +
      styled(` ${b.action ?? b.command.replace("-", " ")}  `, { color: "gray" })
    ).join("");
  return <Text wrap="truncate-end">{line}</Text>;
});
