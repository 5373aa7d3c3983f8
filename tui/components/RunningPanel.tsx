import { Box, Text } from "ink";
import type { RunningAction } from "../../lib/stack/mod.ts";
import { fit, formatDuration } from "../format_figures.ts";
import { ProgressBar } from "./ProgressBar.tsx";

/** Props of {@link RunningPanel}. */
export interface RunningPanelProps {
  running: readonly RunningAction[];
  tick: number;
  now: number;
  width: number;
}

/** One line per running action: task, progress bar, elapsed time and its last message. */
export function RunningPanel({ running, tick, now, width }: RunningPanelProps) {
  if (running.length === 0) return null;
  const idWidth = Math.min(28, Math.max(...running.map((r) => r.taskId.length)));
  const barWidth = Math.min(30, Math.max(10, Math.floor(width / 5)));
  return (
    <Box flexDirection="column">
      {running.map((r) => (
        <Text key={r.id} wrap="truncate-end">
          <Text color="cyan">⟳</Text> <Text bold>{fit(r.taskId, idWidth).padEnd(idWidth)}</Text>
          {" "}
          <ProgressBar fraction={r.progress} tick={tick} width={barWidth} />
          {` ${formatDuration((now - Date.parse(r.startedAt)) / 1000).padStart(6)}  `}
          <Text color="gray">{r.message ?? "running..."}</Text>
        </Text>
      ))}
    </Box>
  );
}
