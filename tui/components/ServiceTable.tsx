import { Box, Text } from "ink";
import type { RunningAction, ServiceSnapshot } from "../../lib/stack/mod.ts";
import {
  fit,
  formatAge,
  formatCpu,
  formatDuration,
  formatLatency,
  formatMemory,
} from "../format_figures.ts";
import { styled } from "../ansi.ts";
import { lifecycleColor, lifecycleMark } from "../theme.ts";

/** Props of {@link ServiceTable}. */
export interface ServiceTableProps {
  services: readonly ServiceSnapshot[];
  selected: string | null;
  running: readonly RunningAction[];
  width: number;
  /** Rows available for service lines (the header takes one more). */
  height: number;
  now: number;
}

interface Cell {
  text: string;
  color?: string;
}

interface Column {
  header: string;
  width: number;
  /** Columns with a higher number are dropped first when the terminal is narrow. */
  priority: number;
  cell: (s: ServiceSnapshot, ctx: { now: number; running?: RunningAction }) => Cell;
}

function healthCell(s: ServiceSnapshot): Cell {
  if (s.state !== "running" && s.state !== "starting") return { text: "-", color: "gray" };
  return s.healthy ? { text: "healthy", color: "green" } : { text: "unhealthy", color: "red" };
}

function detailCell(s: ServiceSnapshot, running: RunningAction | undefined, now: number): Cell {
  if (running) {
    const seconds = (now - Date.parse(running.startedAt)) / 1000;
    return {
      text: `running ${running.taskId.split(":").pop()} ${formatDuration(seconds)}${
        running.message ? `: ${running.message}` : ""
      }`,
      color: "cyan",
    };
  }
  if (s.waitingOn.length) {
    return { text: `needs ${s.waitingOn.join(", ")}: ${s.detail}`, color: "yellow" };
  }
  return {
    text: s.detail,
    color: s.lifecycle === "healthy" ? "gray" : lifecycleColor(s.lifecycle),
  };
}

function columns(nameWidth: number): Column[] {
  return [
    {
      header: "SERVICE",
      width: nameWidth,
      priority: 0,
      cell: (s) => ({
        text: s.name,
        color: lifecycleColor(s.lifecycle),
      }),
    },
    {
      header: "STATE",
      width: 9,
      priority: 0,
      cell: (s) => ({ text: s.state, color: lifecycleColor(s.lifecycle) }),
    },
    { header: "HEALTH", width: 10, priority: 0, cell: healthCell },
    {
      header: "LATENCY",
      width: 8,
      priority: 2,
      cell: (s) => ({ text: formatLatency(s.latencyMs) }),
    },
    {
      header: "UPTIME",
      width: 7,
      priority: 1,
      cell: (s) => ({ text: formatDuration(s.uptimeSeconds) }),
    },
    {
      header: "PID",
      width: 8,
      priority: 3,
      cell: (s) => ({ text: s.pid === null ? "-" : String(s.pid) }),
    },
    {
      header: "PORT",
      width: 6,
      priority: 3,
      cell: (s) => ({ text: s.port === null ? "-" : String(s.port) }),
    },
    {
      header: "RST",
      width: 4,
      priority: 4,
      cell: (s) => ({ text: String(s.restarts), ...(s.restarts > 0 ? { color: "yellow" } : {}) }),
    },
    { header: "CPU", width: 6, priority: 1, cell: (s) => ({ text: formatCpu(s.cpuPercent) }) },
    { header: "MEM", width: 6, priority: 2, cell: (s) => ({ text: formatMemory(s.memoryKb) }) },
    {
      header: "BACKUP",
      width: 8,
      priority: 2,
      cell: (s, { now }) =>
        s.capabilities.includes("backup")
          ? {
            text: formatAge(s.lastBackupAt, now),
            ...(s.lastBackupAt === null ? { color: "yellow" } : {}),
          }
          : { text: "-", color: "gray" },
    },
  ];
}

const gap = 1;
const minDetail = 12;

/** The columns that fit the width, dropping the least important first; the rest goes to DETAIL. */
function fitColumns(all: Column[], width: number): { shown: Column[]; detail: number } {
  const shown = [...all];
  const used = () => shown.reduce((n, c) => n + c.width + gap, 0);
  while (shown.length > 1 && width - used() < minDetail) {
    const worst = shown.reduce((w, c) => (c.priority > w.priority ? c : w));
    if (worst.priority === 0) break;
    shown.splice(shown.indexOf(worst), 1);
  }
  return { shown, detail: Math.max(0, width - used()) };
}

/** The first row to show so that the selected row stays visible. */
function windowStart(count: number, selectedIndex: number, height: number): number {
  if (count <= height || selectedIndex < 0) return 0;
  return Math.min(Math.max(0, selectedIndex - Math.floor(height / 2)), count - height);
}

/** Width of the column with the selection pointer and the state mark (`› ● `). */
const markWidth = 4;

/**
 * The services table: one row per service coloured by state, the selected
 * row highlighted, columns dropped by priority when the terminal is narrow,
 * and a scrolling window when there are more services than rows.
 *
 * Drawn as two styled strings side by side, the marks and the rows, rather
 * than one Ink node per cell: Ink's cost grows with nodes and characters, and
 * an all-ASCII row takes its fast width path (the Unicode marks live in their
 * own narrow column). A hundred services fit in a frame of a few ms.
 */
export function ServiceTable(
  { services, selected, running, width, height, now }: ServiceTableProps,
) {
  const nameWidth = Math.max(7, ...services.map((s) => s.name.length + 1));
  const { shown, detail } = fitColumns(columns(nameWidth), width - markWidth);
  const selectedIndex = services.findIndex((s) => s.name === selected);
  const overflow = services.length > height;
  const rows = Math.max(1, overflow ? height - 1 : height);
  const start = windowStart(services.length, selectedIndex, rows);
  const visible = services.slice(start, start + rows);
  const pad = (text: string, w: number) => fit(text, w).padEnd(w);
  const paint = (cell: Cell, w: number) =>
    styled(pad(cell.text, w), cell.color ? { color: cell.color } : {});
  // Nothing is padded past the last column (except the highlighted row's bar).
  const lastCell = (cell: Cell, w: number, padded: boolean) =>
    styled(padded ? pad(cell.text, w) : fit(cell.text, w), cell.color ? { color: cell.color } : {});
  const header = " ".repeat(markWidth) + shown.map((c) => pad(c.header, c.width) + " ").join("") +
    (detail > 0 ? "DETAIL" : "");
  const marks: string[] = [];
  const body = visible.map((s) => {
    const isSelected = s.name === selected;
    const mark = `${isSelected ? "›" : " "} ${lifecycleMark(s.lifecycle)} `;
    const markStyle = { color: lifecycleColor(s.lifecycle), inverse: isSelected };
    marks.push(styled(mark, markStyle));
    const active = running.find((r) => r.service === s.name);
    const cells = shown.map((c) => c.cell(s, { now, ...(active ? { running: active } : {}) }));
    const line = cells.map((cell, i) => paint(cell, shown[i]!.width) + " ").join("") +
      (detail > 0 ? lastCell(detailCell(s, active, now), detail, isSelected) : "");
    return isSelected ? styled(line, { inverse: true }) : line;
  });
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">{header}</Text>
      <Box flexDirection="row">
        <Box width={markWidth} flexShrink={0}>
          <Text>{marks.join("\n")}</Text>
        </Box>
        <Text wrap="truncate-end">{body.join("\n")}</Text>
      </Box>
      {overflow
        ? (
          <Text color="gray">
            {`  ${start + 1}-${start + visible.length} of ${services.length} services`}
          </Text>
        )
        : null}
    </Box>
  );
}
