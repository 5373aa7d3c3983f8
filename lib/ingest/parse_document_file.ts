import { basename } from "../posix_path.ts";
import { type DocumentFormat, FileParseError, formatOf, type ParsedFile } from "./document.ts";
import { parseCsv } from "./parsers/parse_csv.ts";
import { parseJson } from "./parsers/parse_json.ts";
import { parseMarkdown } from "./parsers/parse_markdown.ts";
import { parseNdjson } from "./parsers/parse_ndjson.ts";
import { parseText } from "./parsers/parse_text.ts";
import { type InputBoundary, InputRefusedError, openInputFile } from "./input_roots.ts";

/** Largest file the pipeline reads by default (64 MiB). */
export const defaultMaxFileBytes = 64 * 1024 * 1024;

/**
 * Parses file content of a known format. Malformed records are listed in
 * `problems`; the other records are returned.
 * @throws {FileParseError} when the whole file cannot be read.
 */
export function parseDocumentText(text: string, format: DocumentFormat, name: string): ParsedFile {
  const content = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const title = basename(name);
  switch (format) {
    case "markdown":
      return parseMarkdown(content, title);
    case "text":
      return parseText(content, title);
    case "json":
      return parseJson(content, title);
    case "ndjson":
      return parseNdjson(content, title);
    case "csv":
      return parseCsv(content, title, ",");
    case "tsv":
      return parseCsv(content, title, "\t");
  }
}

/** Decodes UTF-8, naming the line of the first invalid byte. @throws {FileParseError} */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const lossy = new TextDecoder("utf-8").decode(bytes);
    const at = lossy.indexOf("\ufffd");
    throw new FileParseError(
      "not UTF-8 text (a binary file, or another encoding)",
      lossy.slice(0, Math.max(0, at)).split("\n").length,
    );
  }
}

/**
 * Reads and parses one file by its extension. With a `boundary` (the
 * worker), the path is trusted for nothing: it is resolved, checked against
 * the boundary and opened with the swap check of {@link openInputFile}; a
 * refused file is never read.
 * @throws {FileParseError} when the file cannot be read or parsed as a whole
 * (missing, too large, unsupported extension, not UTF-8, invalid JSON...).
 * @throws {InputRefusedError} when the boundary refuses the file.
 */
export async function parseDocumentFile(
  path: string,
  options: { maxBytes?: number; boundary?: InputBoundary } = {},
): Promise<ParsedFile> {
  const format = formatOf(path);
  if (!format) throw new FileParseError(`unsupported file type ${JSON.stringify(basename(path))}`);
  const maxBytes = options.maxBytes ?? defaultMaxFileBytes;
  let bytes: Uint8Array;
  let file: Deno.FsFile | undefined;
  try {
    if (options.boundary) {
      file = await openInputFile(path, options.boundary);
    } else {
      // no FIFO or device is opened: an open of a FIFO waits for a writer
      if (!(await Deno.stat(path)).isFile) throw new FileParseError("not a regular file");
      file = await Deno.open(path, { read: true });
    }
    const info = await file.stat();
    if (!info.isFile) throw new FileParseError("not a regular file");
    if (info.size > maxBytes) {
      throw new FileParseError(
        `the file has ${info.size} bytes, more than the limit of ${maxBytes}`,
      );
    }
    bytes = await readAtMost(file, maxBytes);
  } catch (error) {
    if (error instanceof FileParseError || error instanceof InputRefusedError) throw error;
    if (error instanceof Deno.errors.NotFound) throw new FileParseError("the file does not exist");
    throw new FileParseError(`cannot read the file: ${(error as Error).message}`);
  } finally {
    file?.close();
  }
  if ((format === "text" || format === "markdown") && bytes.includes(0)) {
    const text = new TextDecoder().decode(bytes.subarray(0, bytes.indexOf(0)));
    throw new FileParseError("binary content (a NUL byte)", text.split("\n").length);
  }
  return parseDocumentText(decodeUtf8(bytes), format, path);
}

/** Reads an open file to its end, refusing more than `maxBytes` (it may grow after its stat). */
async function readAtMost(file: Deno.FsFile, maxBytes: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const buffer = new Uint8Array(64 * 1024);
  for (;;) {
    const n = await file.read(buffer);
    if (n === null) break;
    total += n;
    if (total > maxBytes) {
      throw new FileParseError(`the file has more than the limit of ${maxBytes} bytes`);
    }
    chunks.push(buffer.slice(0, n));
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}
