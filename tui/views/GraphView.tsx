import { Box, Text } from "ink";
import type { ServiceSnapshot } from "../../lib/stack/mod.ts";
import { fit } from "../format_figures.ts";
import { lifecycleColor, lifecycleMark } from "../theme.ts";

/** Props of {@link GraphView}. */
export interface GraphViewProps {
  services: readonly ServiceSnapshot[];
  /** Start waves: each wave needs only services of earlier waves. */
  waves: readonly (readonly string[])[];
  selected: ServiceSnapshot | undefined;
  width: number;
  height: number;
}

function Node(
  { service, selected, width }: { service: ServiceSnapshot; selected: boolean; width: number },
) {
  return (
    <Text inverse={selected} color={lifecycleColor(service.lifecycle)} wrap="truncate-end">
      {fit(`${lifecycleMark(service.lifecycle)} ${service.name} ${service.lifecycle}`, width)}
    </Text>
  );
}

function Needs(
  { service, byName, width }: {
    service: ServiceSnapshot;
    byName: Map<string, ServiceSnapshot>;
    width: number;
  },
) {
  if (service.dependsOn.length === 0) {
    return <Text color="gray">{fit("  (needs nothing)", width)}</Text>;
  }
  return (
    <Text wrap="truncate-end">
      {"  ← "}
      {service.dependsOn.map((dep, i) => {
        const d = byName.get(dep);
        return (
          <Text key={dep} color={d ? lifecycleColor(d.lifecycle) : "red"}>
            {`${i ? " " : ""}${d ? lifecycleMark(d.lifecycle) : "?"}${dep}`}
          </Text>
        );
      })}
    </Text>
  );
}

/**
 * The dependency graph in start waves, left to right: every node shows its
 * health, and under it the services it needs (each with its own health).
 * Below, what stopping or restarting the selected service would affect.
 */
export function GraphView({ services, waves, selected, width, height }: GraphViewProps) {
  const byName = new Map(services.map((s) => [s.name, s]));
  const columns = waves.length || 1;
  const columnWidth = Math.max(16, Math.floor((width - 2) / columns) - 2);
  const fitsSideBySide = columnWidth * columns + 2 * columns <= width && columnWidth >= 16;
  const rowsPerWave = Math.max(...waves.map((w) => w.length), 0);
  const tall = rowsPerWave * 2 + 2 > height - 4;
  const impact = selected
    ? (
      <Box flexDirection="column" marginTop={1}>
        <Text wrap="truncate-end">
          <Text bold>{selected.name}</Text>
          {" needs: "}
          {selected.dependsOn.length ? selected.dependsOn.join(", ") : "nothing"}
        </Text>
        {selected.dependents.length
          ? (
            <Text color="yellow" wrap="truncate-end">
              {`stopping or restarting ${selected.name} affects: ${selected.dependents.join(", ")}`}
            </Text>
          )
          : (
            <Text color="gray" wrap="truncate-end">
              {`nothing depends on ${selected.name}: stopping it affects no other service`}
            </Text>
          )}
      </Box>
    )
    : null;
  if (!fitsSideBySide || tall) {
    // Narrow or many services: one wave after the other, one line per service.
    return (
      <Box flexDirection="column" width={width}>
        {waves.map((wave, i) => (
          <Box key={i} flexDirection="column">
            <Text bold color="gray">{`wave ${i + 1}${i === 0 ? " (starts first)" : ""}`}</Text>
            {wave.map((name) => {
              const s = byName.get(name);
              if (!s) return null;
              return (
                <Text key={name} wrap="truncate-end">
                  <Node service={s} selected={s.name === selected?.name} width={28} />
                  <Text color="gray">
                    {s.dependsOn.length ? `  ← ${s.dependsOn.join(" ")}` : ""}
                  </Text>
                </Text>
              );
            })}
          </Box>
        ))}
        {impact}
      </Box>
    );
  }
  return (
    <Box flexDirection="column" width={width}>
      <Box flexDirection="row">
        {waves.map((wave, i) => (
          <Box key={i} flexDirection="column" width={columnWidth + 2} marginRight={1}>
            <Text bold color="gray">
              {fit(`wave ${i + 1}${i === 0 ? " (starts first)" : ""}`, columnWidth)}
            </Text>
            {wave.map((name) => {
              const s = byName.get(name);
              if (!s) {
                return null;
              }
              return (
                <Box key={name} flexDirection="column">
                  <Node service={s} selected={s.name === selected?.name} width={columnWidth} />
                  <Needs service={s} byName={byName} width={columnWidth} />
                </Box>
              );
            })}
          </Box>
        ))}
      </Box>
      {impact}
    </Box>
  );
}
