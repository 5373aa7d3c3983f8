import { Box, Text } from "ink";
import { fit } from "../format_figures.ts";
import type { KeyBinding } from "../keymap.ts";

/** Props of {@link HelpView}. */
export interface HelpViewProps {
  keymap: readonly KeyBinding[];
  readOnly: boolean;
  width: number;
  height: number;
  /** First line shown (↑↓ scroll when the help is taller than the screen). */
  offset: number;
}

type Row = { kind: "title"; text: string } | { kind: "key"; keys: string; text: string };

/** The help as rows: keys for every view, then per view (acting keys left out in read-only mode). */
export function helpRows(keymap: readonly KeyBinding[], readOnly: boolean): Row[][] {
  const shown = keymap.filter((b) => !(readOnly && b.acts));
  const group = (title: string, bindings: readonly KeyBinding[]): Row[] =>
    bindings.length
      ? [
        { kind: "title", text: title },
        ...bindings.map((b): Row => ({ kind: "key", keys: b.keys.join(" "), text: b.description })),
      ]
      : [];
  return [
    group("everywhere", shown.filter((b) => b.views === "all")),
    [
      ...group(
        "services and dependency views",
        shown.filter((b) => b.views !== "all" && b.views.includes("services")),
      ),
      ...group(
        "logs view",
        shown.filter((b) => b.views !== "all" && b.views.includes("logs")),
      ),
      ...group(
        "schedules view",
        shown.filter((b) => b.views !== "all" && b.views.includes("schedules")),
      ),
    ],
  ];
}

function RowText({ row, width }: { row: Row | undefined; width: number }) {
  if (!row) return <Text>{" ".repeat(width)}</Text>;
  if (row.kind === "title") return <Text bold>{fit(row.text, width).padEnd(width)}</Text>;
  return (
    <Text>
      <Text color="cyan">{fit(row.keys, 9).padEnd(10)}</Text>
      {fit(row.text, width - 10).padEnd(width - 10)}
    </Text>
  );
}

/**
 * Every key of the key map with what it does, generated from the same table
 * as the dispatcher and the footer: two columns when the terminal is wide
 * enough, scrolling with ↑↓ when it is not tall enough.
 */
export function HelpView({ keymap, readOnly, width, height, offset }: HelpViewProps) {
  const [left, right] = helpRows(keymap, readOnly) as [Row[], Row[]];
  const twoColumns = width >= 90;
  const columnWidth = twoColumns ? Math.floor((width - 7) / 2) : width - 4;
  const lines: [Row | undefined, Row | undefined][] = twoColumns
    ? Array.from({ length: Math.max(left.length, right.length) }, (_, i) => [left[i], right[i]])
    : [...left, ...right].map((row) => [row, undefined]);
  const body = Math.max(1, height - 4);
  const start = Math.min(Math.max(0, offset), Math.max(0, lines.length - body));
  const more = lines.length - start - body;
  return (
    <Box flexDirection="column" width={width} borderStyle="round" borderColor="cyan" paddingX={1}>
      <Text bold color="cyan" wrap="truncate-end">
        {`keys (Esc or ? closes this help${lines.length > body ? ", ↑↓ scroll" : ""})${
          readOnly ? " · read-only: keys that change anything are disabled" : ""
        }`}
      </Text>
      {lines.slice(start, start + body).map(([a, b], i) => (
        <Text key={i} wrap="truncate-end">
          <RowText row={a} width={columnWidth} />
          {twoColumns ? " │ " : ""}
          {twoColumns ? <RowText row={b} width={columnWidth} /> : null}
        </Text>
      ))}
      <Text color="gray" wrap="truncate-end">
        {more > 0
          ? `… ${more} more lines (↓)`
          : "Dialogs: y/n (Enter alone is no), or type the service name in a protected environment"}
      </Text>
    </Box>
  );
}
