import { Box, Text } from "ink";
import type { ActionRecord } from "../../lib/stack/mod.ts";
import { formatClock } from "../format_figures.ts";

/** Props of {@link HistoryPanel}. */
export interface HistoryPanelProps {
  history: readonly ActionRecord[];
  /** Lines available, the title included. */
  height: number;
  auditLog: string | null;
}

/** The last actions with their exit status (newest last), as also appended to the audit log. */
export function HistoryPanel({ history, height, auditLog }: HistoryPanelProps) {
  if (height < 2) return null;
  const shown = history.slice(-(height - 1));
  return (
    <Box flexDirection="column">
      <Text color="gray" wrap="truncate-end">
        {`history (${history.length})${auditLog ? ` · audit log ${auditLog}` : ""}`}
      </Text>
      {shown.length === 0 ? <Text color="gray">no action yet</Text> : null}
      {shown.map((r) => (
        <Text key={r.id} wrap="truncate-end">
          <Text color="gray">{formatClock(r.finishedAt)}</Text> {r.exitCode === 0
            ? <Text color="green">{`✓ exit ${r.exitCode} `}</Text>
            : <Text color="red">{`✗ exit ${r.exitCode} `}</Text>}
          <Text bold>{r.taskId}</Text>
          <Text color="gray">{` ${(r.durationMs / 1000).toFixed(1)}s  `}</Text>
          {r.message}
        </Text>
      ))}
    </Box>
  );
}
