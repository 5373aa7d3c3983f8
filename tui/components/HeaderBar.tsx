import { Text } from "ink";
import { memo } from "react";
import type { StackSnapshot } from "../../lib/stack/mod.ts";
import { styled } from "../ansi.ts";
import { formatClock } from "../format_figures.ts";
import type { View } from "../keymap.ts";

/** Props of {@link HeaderBar}. */
export interface HeaderBarProps {
  snapshot: StackSnapshot;
  view: View;
  readOnly: boolean;
}

const tabs: { view: View; label: string }[] = [
  { view: "services", label: "1 services" },
  { view: "graph", label: "2 dependencies" },
  { view: "logs", label: "3 logs" },
  { view: "schedules", label: "4 schedules" },
];

/** Environment, a health summary, the last refresh and the view tabs (one styled line). */
export const HeaderBar = memo(function HeaderBar({ snapshot, view, readOnly }: HeaderBarProps) {
  const healthy = snapshot.services.filter((s) => s.lifecycle === "healthy").length;
  const total = snapshot.services.length;
  const line = styled("HailMary Ops", { bold: true }) +
    `  env ${snapshot.environment} (${snapshot.runtime})  ` +
    styled(`${healthy}/${total} healthy`, { color: healthy === total ? "green" : "yellow" }) +
    styled(`  refreshed ${formatClock(snapshot.updatedAt)}  `, { color: "gray" }) +
    (readOnly ? styled("READ-ONLY  ", { color: "magenta", bold: true }) : "") +
    (snapshot.error ? styled(`status failed: ${snapshot.error}  `, { color: "red" }) : "") +
    tabs.map((t) =>
      styled(` ${t.label} `, t.view === view ? { inverse: true, bold: true } : { color: "gray" })
    ).join("");
  return <Text wrap="truncate-end">{line}</Text>;
});
