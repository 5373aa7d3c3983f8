import { stripAnsi } from "./style.ts";

/** Renders rows as aligned columns with a header; cells may contain ANSI colour. */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) =>
    Math.max(stripAnsi(h).length, ...rows.map((r) => stripAnsi(r[i] ?? "").length))
  );
  const line = (cells: string[]) =>
    cells.map((c, i) => {
      const pad = (widths[i] ?? 0) - stripAnsi(c).length;
      return i === cells.length - 1 ? c : c + " ".repeat(Math.max(0, pad));
    }).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}
