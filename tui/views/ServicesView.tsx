import { Box, Text } from "ink";
import type { RunningAction, ServiceSnapshot } from "../../lib/stack/mod.ts";
import { ServiceTable } from "../components/ServiceTable.tsx";
import { formatAge } from "../format_figures.ts";
import type { SortKey } from "../sort_services.ts";

/** Props of {@link ServicesView}. */
export interface ServicesViewProps {
  services: readonly ServiceSnapshot[];
  selected: ServiceSnapshot | undefined;
  running: readonly RunningAction[];
  sort: SortKey;
  width: number;
  height: number;
  now: number;
}

/** The services table with the selected service's description and dependencies below it. */
export function ServicesView(props: ServicesViewProps) {
  const { selected, width, now } = props;
  const detailRows = 2;
  return (
    <Box flexDirection="column" width={width}>
      <ServiceTable
        services={props.services}
        selected={selected?.name ?? null}
        running={props.running}
        width={width}
        height={Math.max(1, props.height - detailRows - 1)}
        now={now}
      />
      <Box flexGrow={1} />
      {selected
        ? (
          <Box flexDirection="column">
            <Text wrap="truncate-end">
              <Text bold>{selected.name}</Text>
              <Text color="gray">{` — ${selected.description}   sorted by ${props.sort} (o)`}</Text>
            </Text>
            <Text wrap="truncate-end">
              {"needs: "}
              {selected.dependsOn.length ? selected.dependsOn.join(", ") : "nothing"}
              {"  ·  needed by: "}
              <Text {...(selected.dependents.length ? { color: "yellow" } : {})}>
                {selected.dependents.length ? selected.dependents.join(", ") : "nothing"}
              </Text>
              {selected.capabilities.includes("backup")
                ? `  ·  last backup: ${
                  selected.lastBackupAt ? `${formatAge(selected.lastBackupAt, now)} ago` : "never"
                }`
                : ""}
            </Text>
          </Box>
        )
        : <Text color="gray">no services in this environment</Text>}
    </Box>
  );
}
