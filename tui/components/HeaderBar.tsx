import { Text } from "ink";
import type { StackSnapshot } from "../../lib/stack/mod.ts";
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
];

/** Environment, a health summary, the last refresh and the view tabs. */
export function HeaderBar({ snapshot, view, readOnly }: HeaderBarProps) {
  const healthy = snapshot.services.filter((s) => s.lifecycle === "healthy").length;
  const total = snapshot.services.length;
  const allHealthy = healthy === total;
  return (
    <Text wrap="truncate-end">
      <Text bold>HailMary Ops</Text>
      {`  env ${snapshot.environment} (${snapshot.runtime})  `}
      <Text color={allHealthy ? "green" : "yellow"}>{`${healthy}/${total} healthy`}</Text>
      <Text color="gray">{`  refreshed ${formatClock(snapshot.updatedAt)}  `}</Text>
      {readOnly ? <Text color="magenta" bold>{`READ-ONLY  `}</Text> : null}
      {snapshot.error ? <Text color="red">{`status failed: ${snapshot.error}  `}</Text> : null}
      {tabs.map((t) => (
        <Text
          key={t.view}
          {...(t.view === view ? { inverse: true, bold: true } : { color: "gray" })}
        >
          {` ${t.label} `}
        </Text>
      ))}
    </Text>
  );
}
