import { Box, Text } from "ink";
import type { LogSnapshot } from "../../lib/stack/mod.ts";
import { highlightSegments, type LogFilter } from "../log_filter.ts";
import { type LogPosition, logWindow } from "../log_window.ts";
import { styled } from "../ansi.ts";
import { fit } from "../format_figures.ts";
import { serviceColor } from "../theme.ts";

/** Props of {@link LogsView}. */
export interface LogsViewProps {
  logs: LogSnapshot;
  /** The services shown: one, or several merged with a prefix. */
  services: readonly string[];
  filter: LogFilter;
  /** The filter being typed after `/`, when the prompt is open. */
  filterDraft: string | null;
  position: LogPosition;
  wrap: boolean;
  width: number;
  height: number;
}

function onOff(value: boolean): string {
  return value ? "on" : "off";
}

/**
 * Log lines of one service, or of all services merged with a coloured
 * service prefix; matches of the `/` filter are highlighted; long lines are
 * cut or wrapped; the status line tells follow, wrap, filter and buffer state.
 */
export function LogsView(props: LogsViewProps) {
  const { logs, services, filter, position, wrap, width, height } = props;
  const merged = services.length > 1;
  const nameWidth = merged ? Math.max(...services.map((s) => s.length)) : 0;
  const prefixWidth = merged ? nameWidth + 3 : 0;
  const bodyHeight = Math.max(1, height - 2);
  const window = logWindow(logs.lines, filter, position, {
    width,
    height: bodyHeight,
    wrap,
    prefixWidth,
  });
  const scope = merged ? `all services merged (${services.join(", ")})` : services[0] ?? "-";
  const filterText = filter.pattern
    ? `filter /${filter.source}/${
      filter.literal ? " (literal)" : ""
    }: ${window.matching} of ${logs.lines.length}`
    : "no filter";
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate-end">
        <Text bold>{`logs: ${scope}`}</Text>
        <Text color="gray">
          {`  ·  follow ${onOff(position.follow)} (f)  ·  wrap ${
            onOff(wrap)
          } (w)  ·  ${filterText}`}
          {logs.dropped ? `  ·  ${logs.dropped} older lines dropped` : ""}
          {!position.follow ? `  ·  line ${window.endIndex} of ${window.matching}` : ""}
        </Text>
      </Text>
      <Box flexDirection="column" height={bodyHeight} overflow="hidden">
        {window.visible.length === 0
          ? (
            <Text color="gray">
              {logs.version === 0
                ? "reading logs..."
                : filter.pattern
                ? "no line matches the filter"
                : "no log lines yet"}
            </Text>
          )
          : (
            <Text wrap={wrap ? "wrap" : "truncate-end"}>
              {window.visible.map((line) => {
                // one styled string for all lines: cut before styling so no escape is split
                const text = wrap ? line.text : fit(line.text, width - prefixWidth);
                const prefix = merged
                  ? styled(`${line.service.padEnd(nameWidth)} | `, {
                    color: serviceColor(line.service),
                  })
                  : "";
                return prefix + highlightSegments(filter, text).map((seg) =>
                  seg.match ? styled(seg.text, { background: "yellow", color: "black" }) : seg.text
                ).join("");
              }).join("\n")}
            </Text>
          )}
      </Box>
      {props.filterDraft !== null
        ? (
          <Text>
            <Text bold color="cyan">/</Text>
            {props.filterDraft}
            <Text inverse></Text>
            <Text color="gray">{`   Enter applies · Esc cancels · empty clears`}</Text>
          </Text>
        )
        : (
          <Text color="gray">
            {"/ filter · f follow · w wrap · a one/all services · ↑↓ PgUp PgDn scroll · G newest"}
          </Text>
        )}
    </Box>
  );
}
