import { basename } from "../posix_path.ts";

/** The file formats the ingestion pipeline reads. */
export type DocumentFormat = "markdown" | "text" | "json" | "ndjson" | "csv" | "tsv";

/** File extensions (lower case, with the dot) and the format each one means. */
export const formatsByExtension: Readonly<Record<string, DocumentFormat>> = {
  ".md": "markdown",
  ".markdown": "markdown",
  ".txt": "text",
  ".text": "text",
  ".json": "json",
  ".ndjson": "ndjson",
  ".jsonl": "ndjson",
  ".csv": "csv",
  ".tsv": "tsv",
};

/** The format of a file by its extension, or undefined when the pipeline cannot read it. */
export function formatOf(path: string): DocumentFormat | undefined {
  const name = basename(path);
  const dot = name.lastIndexOf(".");
  return dot > 0 ? formatsByExtension[name.slice(dot).toLowerCase()] : undefined;
}

/** One document read from a file: a whole file, or one record of an NDJSON or CSV file. */
export interface ParsedDocument {
  /** Identifies the record inside its file: "" for one-document files, the record's id or `line:N`. */
  recordKey: string;
  title: string;
  body: string;
  /** Front matter, extra JSON fields or extra CSV columns. */
  metadata: Record<string, unknown>;
  /** The 1-based line the document starts on. */
  line: number;
}

/** A record that could not be read; the rest of its file still is. */
export interface RecordProblem {
  /** The 1-based line of the record. */
  line: number;
  reason: string;
}

/** What a parser made of one file. */
export interface ParsedFile {
  format: DocumentFormat;
  documents: ParsedDocument[];
  /** Malformed records, skipped. */
  problems: RecordProblem[];
}

/** The whole file cannot be read (not UTF-8, invalid JSON, unterminated front matter...). */
export class FileParseError extends Error {
  /** The 1-based line of the problem, when known. */
  readonly line: number | undefined;

  constructor(reason: string, line?: number) {
    super(reason);
    this.name = "FileParseError";
    this.line = line;
  }
}
