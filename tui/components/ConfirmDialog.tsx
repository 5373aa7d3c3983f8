import { Box, Text } from "ink";
import { useKeys } from "../hooks/use_keys.ts";
import { useSyncedState } from "../hooks/use_synced_state.ts";
import type { PendingConfirm } from "../hooks/use_confirm.ts";

/** Props of {@link ConfirmDialog}. */
export interface ConfirmDialogProps {
  request: PendingConfirm;
  width: number;
}

/**
 * Asks before an action. y/N by default (Enter alone means no); when the
 * request names a text to type (the service name in a protected
 * environment), only that exact text followed by Enter confirms.
 */
export function ConfirmDialog({ request, width }: ConfirmDialogProps) {
  const [typed, setTyped, readTyped] = useSyncedState("");
  useKeys((input, key) => {
    if (key.escape || (key.ctrl && input === "c")) return request.answer(null);
    if (request.typed !== undefined) {
      if (key.return) return request.answer(readTyped());
      if (key.backspace || key.delete) return setTyped((t) => t.slice(0, -1));
      if (input && !key.ctrl && !key.meta) setTyped((t) => t + input);
      return;
    }
    if (input === "y" || input === "Y") return request.answer("y");
    if (input === "n" || input === "N" || key.return) return request.answer("n");
  });
  const color = request.danger ? "red" : "yellow";
  return (
    <Box
      flexDirection="column"
      borderStyle="double"
      borderColor={color}
      paddingX={1}
      width={Math.min(width, 100)}
    >
      <Text bold color={color}>{request.title}</Text>
      {request.lines.map((line, i) => <Text key={i} wrap="wrap">{line}</Text>)}
      <Text></Text>
      {request.typed !== undefined
        ? (
          <Box flexDirection="column">
            <Text>
              Type <Text bold>{request.typed}</Text> and press Enter to confirm (Esc cancels):
            </Text>
            <Text>
              {"> "}
              <Text color="cyan">{typed}</Text>
              <Text inverse></Text>
            </Text>
          </Box>
        )
        : (
          <Text>
            <Text bold>[y]</Text> yes <Text bold>[n]</Text>/Enter/Esc no
          </Text>
        )}
    </Box>
  );
}
