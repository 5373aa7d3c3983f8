import { Box, Text } from "ink";
import { useKeys } from "../hooks/use_keys.ts";
import { useSyncedState } from "../hooks/use_synced_state.ts";
import type { TaskSummary } from "../../lib/stack/mod.ts";
import { fit } from "../format_figures.ts";

/** Props of {@link CommandPalette}. */
export interface CommandPaletteProps {
  title: string;
  tasks: readonly TaskSummary[];
  /** Show a query line that filters the list as the operator types. */
  searchable: boolean;
  width: number;
  height: number;
  onPick(task: TaskSummary): void;
  onClose(): void;
}

/** Tasks whose id and summary contain every word of the query. */
export function filterTasks(tasks: readonly TaskSummary[], query: string): TaskSummary[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return tasks.filter((t) => {
    const text = `${t.id} ${t.summary}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
}

/**
 * A list of tasks to pick from: the `:` palette (every task, filtered by
 * typing) and the Enter menu (the tasks of one service). Dangerous tasks are
 * marked; Enter picks, Esc closes.
 */
export function CommandPalette(props: CommandPaletteProps) {
  const [query, setQuery, readQuery] = useSyncedState("");
  const [index, setIndex, readIndex] = useSyncedState(0);
  const list = (q: string) => (props.searchable ? filterTasks(props.tasks, q) : [...props.tasks]);
  const clamp = (i: number, length: number) => Math.min(Math.max(0, i), Math.max(0, length - 1));
  const shown = list(query);
  const current = clamp(index, shown.length);
  useKeys((input, key) => {
    if (key.escape) return props.onClose();
    const now = list(readQuery());
    const at = clamp(readIndex(), now.length);
    if (key.return) {
      const task = now[at];
      if (task) props.onPick(task);
      return;
    }
    if (key.upArrow || (!props.searchable && input === "k")) {
      return setIndex(clamp(at - 1, now.length));
    }
    if (key.downArrow || (!props.searchable && input === "j") || key.tab) {
      return setIndex(clamp(at + 1, now.length));
    }
    if (!props.searchable) return;
    if (key.backspace || key.delete) {
      setQuery((q) => q.slice(0, -1));
      setIndex(0);
      return;
    }
    if (input && !key.ctrl && !key.meta) {
      setQuery((q) => q + input);
      setIndex(0);
    }
  });
  const rows = Math.max(3, props.height - (props.searchable ? 5 : 4));
  const start = Math.min(
    Math.max(0, current - Math.floor(rows / 2)),
    Math.max(0, shown.length - rows),
  );
  const idWidth = Math.min(30, Math.max(8, ...shown.map((t) => t.id.length)));
  const width = Math.min(props.width, 120);
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="cyan" paddingX={1} width={width}>
      <Text bold color="cyan">{props.title}</Text>
      {props.searchable
        ? (
          <Text>
            <Text bold color="cyan">:</Text>
            {query}
            <Text inverse></Text>
          </Text>
        )
        : null}
      {shown.length === 0 ? <Text color="gray">no task matches</Text> : null}
      {shown.slice(start, start + rows).map((t) => (
        <Text key={t.id} inverse={t.id === shown[current]?.id} wrap="truncate-end">
          {fit(t.id, idWidth).padEnd(idWidth)}
          {t.dangerous ? <Text color="red">{` ! `}</Text> : "   "}
          <Text color="gray">{t.summary}</Text>
        </Text>
      ))}
      <Text color="gray">
        {`↑↓ choose · Enter open · Esc close${
          props.searchable ? " · type to filter" : ""
        }  (${shown.length} tasks, ! = dangerous)`}
      </Text>
    </Box>
  );
}
