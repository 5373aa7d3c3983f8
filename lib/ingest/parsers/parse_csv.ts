import {
  FileParseError,
  type ParsedDocument,
  type ParsedFile,
  type RecordProblem,
} from "../document.ts";
import { documentFromRecord } from "./_fields.ts";

/** One row as read: its fields, or why it cannot be read, and the line it starts on. */
type Row = { line: number; fields: string[] } | { line: number; error: string };

/**
 * Splits CSV text into rows (RFC 4180: quoted fields may hold the delimiter,
 * `""` and line breaks). A malformed row is returned as an error and reading
 * goes on at the next line.
 */
export function* csvRows(text: string, delimiter: string): Generator<Row> {
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let error: string | undefined;
    let field = "";
    let endOfRow = false;
    while (!endOfRow) {
      if (i < n && text[i] === '"') {
        i++;
        let closed = false;
        while (i < n) {
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            closed = true;
            break;
          }
          if (c === "\n") line++;
          field += c;
          i++;
        }
        if (!closed) {
          yield { line: start, error: "a quoted field is never closed" };
          return;
        }
        const next = text[i];
        if (next !== undefined && next !== delimiter && next !== "\n" && next !== "\r") {
          error = `unexpected text after a closing quote in field ${fields.length + 1}`;
        }
      }
      while (i < n && text[i] !== delimiter && text[i] !== "\n") {
        const c = text[i]!;
        if (c === '"' && error === undefined) {
          error = `unexpected quote in unquoted field ${fields.length + 1}`;
        }
        if (!(c === "\r" && (text[i + 1] === "\n" || i + 1 === n))) field += c;
        i++;
      }
      fields.push(field);
      field = "";
      if (i < n && text[i] === delimiter) {
        i++;
        continue;
      }
      if (i < n && text[i] === "\n") {
        i++;
        line++;
      }
      endOfRow = true;
    }
    if (error !== undefined) {
      yield { line: start, error };
      continue;
    }
    if (fields.length === 1 && fields[0] === "") continue; // blank line
    yield { line: start, fields };
  }
}

/**
 * One document per CSV (or TSV) row after the header row. Columns named
 * `title`/`name`, `body`/`content`/`text` and `id` fill the title, body and
 * record key; the other columns become metadata. A malformed row (bad quoting,
 * wrong number of fields) is reported with its line and skipped.
 * @throws {FileParseError} when the header is missing or repeats a column name.
 */
export function parseCsv(text: string, fallbackTitle: string, delimiter = ","): ParsedFile {
  const documents: ParsedDocument[] = [];
  const problems: RecordProblem[] = [];
  const rows = csvRows(text, delimiter);
  let header: string[] | undefined;
  const firstLineOf = new Map<string, number>();
  const mayHoldNul = text.includes("\u0000");
  for (const row of rows) {
    if ("error" in row) {
      if (!header) throw new FileParseError(`invalid header row: ${row.error}`, row.line);
      problems.push({ line: row.line, reason: row.error });
      continue;
    }
    if (!header) {
      header = row.fields.map((name, index) => name.trim() || `column_${index + 1}`);
      const seen = new Set<string>();
      for (const name of header) {
        if (seen.has(name.toLowerCase())) {
          throw new FileParseError(
            `the header repeats the column ${JSON.stringify(name)}`,
            row.line,
          );
        }
        seen.add(name.toLowerCase());
      }
      continue;
    }
    if (row.fields.length !== header.length) {
      problems.push({
        line: row.line,
        reason: `expected ${header.length} fields (as in the header), found ${row.fields.length}`,
      });
      continue;
    }
    const record: Record<string, unknown> = {};
    header.forEach((name, index) => (record[name] = row.fields[index]));
    const doc = documentFromRecord(record, {
      fallbackTitle: `${fallbackTitle}:${row.line}`,
      line: row.line,
      keyed: true,
      mayHoldNul,
    });
    const first = firstLineOf.get(doc.recordKey);
    if (first !== undefined) {
      problems.push({
        line: row.line,
        reason: `duplicate ${doc.recordKey} (first on line ${first})`,
      });
      continue;
    }
    firstLineOf.set(doc.recordKey, row.line);
    documents.push(doc);
  }
  if (!header) throw new FileParseError("the file is empty (no header row)", 1);
  return { format: delimiter === "\t" ? "tsv" : "csv", documents, problems };
}
