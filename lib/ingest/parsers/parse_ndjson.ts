import type { ParsedDocument, ParsedFile, RecordProblem } from "../document.ts";
import { documentFromRecord } from "./_fields.ts";
import { jsonErrorReason } from "./_json_error.ts";

/**
 * One document per line of an NDJSON file (one JSON object per line; blank
 * lines are ignored). A malformed line is reported with its line number and
 * skipped; the other lines are still read. Records are keyed by their `id`
 * field, else by line number; a repeated id is reported on its later line.
 */
export function parseNdjson(text: string, fallbackTitle: string): ParsedFile {
  const documents: ParsedDocument[] = [];
  const problems: RecordProblem[] = [];
  const firstLineOf = new Map<string, number>();
  const lines = text.split("\n");
  const mayHoldNul = text.includes("\\u0000");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, "");
    if (raw.trim() === "") continue;
    const line = i + 1;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      problems.push({ line, reason: `invalid JSON: ${jsonErrorReason(error)}` });
      continue;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      problems.push({
        line,
        reason: `expected a JSON object, found ${Array.isArray(value) ? "an array" : String(value)}`
          .slice(0, 200),
      });
      continue;
    }
    const doc = documentFromRecord(value as Record<string, unknown>, {
      fallbackTitle: `${fallbackTitle}:${line}`,
      line,
      keyed: true,
      mayHoldNul,
    });
    const first = firstLineOf.get(doc.recordKey);
    if (first !== undefined) {
      problems.push({ line, reason: `duplicate ${doc.recordKey} (first on line ${first})` });
      continue;
    }
    firstLineOf.set(doc.recordKey, line);
    documents.push(doc);
  }
  return { format: "ndjson", documents, problems };
}
