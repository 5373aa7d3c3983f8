import { Box, Text } from "ink";

/** A message for the operator: the outcome of an action, or why a key did nothing. */
export interface DashboardMessage {
  tone: "ok" | "error" | "info";
  text: string;
  hint?: string | null;
  /** More lines of the result (shown until the message is dismissed). */
  details?: readonly string[];
}

/** Props of {@link MessagePanel}. */
export interface MessagePanelProps {
  message: DashboardMessage | null;
  /** Lines the details may take. */
  maxDetails: number;
}

const colors = { ok: "green", error: "red", info: "cyan" } as const;
const marks = { ok: "✓", error: "✗", info: "•" } as const;

/** The last message, with its hint and the first lines of the result; Esc dismisses it. */
export function MessagePanel({ message, maxDetails }: MessagePanelProps) {
  if (!message) return <Text></Text>;
  const details = (message.details ?? []).slice(0, maxDetails);
  const more = (message.details?.length ?? 0) - details.length;
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text color={colors[message.tone]} bold>{`${marks[message.tone]} `}</Text>
        {message.text}
        {message.hint ? <Text color="cyan">{`  hint: ${message.hint}`}</Text> : null}
        {details.length ? <Text color="gray">{`  (Esc dismisses)`}</Text> : null}
      </Text>
      {details.map((line, i) => <Text key={i} color="gray" wrap="truncate-end">{`  ${line}`}
      </Text>)}
      {more > 0 ? <Text color="gray">{`  … ${more} more lines`}</Text> : null}
    </Box>
  );
}
