import { Box, Text } from "ink";
import { scheduleState, type ScheduleStatus } from "../../lib/schedule/schedule_state.ts";
import { fit, formatDuration } from "../format_figures.ts";

/** Props of {@link SchedulesView}. */
export interface SchedulesViewProps {
  /** Undefined until the first slow poll has read them. */
  schedules: readonly ScheduleStatus[] | undefined;
  selected: string | null;
  width: number;
  height: number;
  now: number;
}

const stateColors: Record<string, string> = {
  ok: "green",
  running: "yellow",
  failed: "red",
  timeout: "red",
  missed: "red",
};

function relative(iso: string | null | undefined, now: number): string {
  if (!iso) return "-";
  const at = Date.parse(iso);
  const span = formatDuration(Math.abs(at - now) / 1000);
  return at > now ? `in ${span}` : `${span} ago`;
}

const columns: { title: string; width: number }[] = [
  { title: "SCHEDULE", width: 20 },
  { title: "CRON", width: 13 },
  { title: "TASK", width: 22 },
  { title: "LAST RUN", width: 10 },
  { title: "EXIT", width: 5 },
  { title: "TOOK", width: 7 },
  { title: "NEXT RUN", width: 10 },
  { title: "STATE", width: 13 },
];

function row(cells: string[]): string {
  return cells.map((c, i) => fit(c, columns[i]!.width).padEnd(columns[i]!.width)).join(" ");
}

/**
 * The environment's schedules (`schedule:list`): last run with its result,
 * age and duration, next run, and missed or failed ones in red. Enter runs
 * the selected one now through `schedule:run`, as cron would.
 */
export function SchedulesView({ schedules, selected, width, height, now }: SchedulesViewProps) {
  if (schedules === undefined) return <Text color="gray">reading the schedules...</Text>;
  if (schedules.length === 0) {
    return (
      <Text color="gray">
        {fit("no schedules: add a schedules: section to the environment file", width)}
      </Text>
    );
  }
  const visible = schedules.slice(0, Math.max(1, height - 3));
  const current = schedules.find((s) => s.name === selected) ?? schedules[0]!;
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate-end">{fit(row(columns.map((c) => c.title)), width)}</Text>
      {visible.map((s) => {
        const state = scheduleState(s);
        return (
          <Text key={s.name} inverse={s.name === current.name} wrap="truncate-end">
            {fit(
              row([
                s.name,
                s.cron,
                [s.task, ...s.args].join(" "),
                relative(s.lastRun?.startedAt, now),
                s.lastRun ? String(s.lastRun.exitCode) : "-",
                s.lastRun ? `${(s.lastRun.durationMs / 1000).toFixed(1)}s` : "-",
                relative(s.nextRun, now),
              ]) + " ",
              Math.max(0, width - 14),
            )}
            <Text color={stateColors[state] ?? "gray"}>{state}</Text>
          </Text>
        );
      })}
      <Box flexGrow={1} />
      <Text color="gray" wrap="truncate-end">
        {fit(
          `${current.name}: ${
            current.timezone ? `${current.cron} in ${current.timezone}` : current.cron
          }` +
            (current.missed ? ` · missed the run due ${current.missedDue}` : "") +
            (current.installed ? "" : " · not in cron: ./ops schedule:install") +
            "  ·  enter runs it now",
          width,
        )}
      </Text>
    </Box>
  );
}
