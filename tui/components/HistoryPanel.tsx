import { Text } from "ink";
import { memo } from "react";
import type { ActionRecord } from "../../lib/stack/mod.ts";
import { styled } from "../ansi.ts";
import { formatClock } from "../format_figures.ts";

/** Props of {@link HistoryPanel}. */
export interface HistoryPanelProps {
  history: readonly ActionRecord[];
  /** Lines available, the title included. */
  height: number;
  auditLog: string | null;
}

/** The last actions with their exit status (newest last), as also appended to the audit log. */
export const HistoryPanel = memo(
  function HistoryPanel({ history, height, auditLog }: HistoryPanelProps) {
    if (height < 2) return null;
    const shown = history.slice(-(height - 1));
    const lines = [
      styled(`history (${history.length})${auditLog ? ` · audit log ${auditLog}` : ""}`, {
        color: "gray",
      }),
      ...(shown.length === 0 ? [styled("no action yet", { color: "gray" })] : []),
      ...shown.map((r) =>
        `${styled(formatClock(r.finishedAt), { color: "gray" })} ` +
        (r.exitCode === 0
          ? styled(`✓ exit ${r.exitCode} `, { color: "green" })
          : styled(`✗ exit ${r.exitCode} `, { color: "red" })) +
        styled(r.taskId, { bold: true }) +
        styled(` ${(r.durationMs / 1000).toFixed(1)}s  `, { color: "gray" }) +
        r.message.split("\n")[0]
      ),
    ];
    return <Text wrap="truncate-end">{lines.join("\n")}</Text>;
  },
);
