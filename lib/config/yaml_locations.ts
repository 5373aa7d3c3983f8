import { isMap, isSeq, LineCounter, parseDocument } from "yaml";
import { UsageError } from "../errors.ts";

/** A parsed YAML document that can tell the line of any path in it. */
export interface LocatedYaml {
  /** The plain value of the document. */
  value: unknown;
  /** 1-based line of the node at `path`, or of its closest existing parent. */
  lineOf(path: ReadonlyArray<PropertyKey>): number;
}

/**
 * Parses YAML keeping positions, so a validation error can name file and line.
 * @throws {UsageError} on a syntax error, with its line.
 */
export function parseLocatedYaml(text: string, file: string): LocatedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const line = lineCounter.linePos(first.pos[0]).line;
    throw new UsageError(
      `${file}:${line}: invalid YAML: ${first.message.split("\n")[0]}`,
      "fix the syntax and run again",
    );
  }
  return {
    value: doc.toJS(),
    lineOf(path) {
      let node: unknown = doc.contents;
      let offset = (doc.contents as { range?: [number, number, number] } | null)?.range?.[0] ?? 0;
      for (const key of path) {
        if (isMap(node)) {
          const pair = node.items.find((p) =>
            String((p.key as { value?: unknown } | null)?.value ?? p.key) === String(key)
          );
          if (!pair) break;
          offset = (pair.key as { range?: [number, number, number] } | null)?.range?.[0] ?? offset;
          node = pair.value;
        } else if (isSeq(node) && typeof key === "number") {
          const item = node.items[key] as { range?: [number, number, number] } | undefined;
          if (!item) break;
          offset = item.range?.[0] ?? offset;
          node = item;
        } else break;
      }
      return lineCounter.linePos(offset).line;
    },
  };
}
