import { FileParseError, type ParsedFile } from "../document.ts";
import { documentFromRecord } from "./_fields.ts";
import { jsonErrorLine, jsonErrorReason } from "./_json_error.ts";

/**
 * One document per JSON file, which must hold one object (`title`, `body`
 * and any other fields, kept as metadata).
 * @throws {FileParseError} with the line of a syntax error, or when the value is not an object.
 */
export function parseJson(text: string, fallbackTitle: string): ParsedFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new FileParseError(`invalid JSON: ${jsonErrorReason(error)}`, jsonErrorLine(error, text));
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new FileParseError(
      `a JSON file must hold one object, not ${
        Array.isArray(value) ? "an array" : value === null ? "null" : `a ${typeof value}`
      } (use NDJSON for many records)`,
      1,
    );
  }
  return {
    format: "json",
    documents: [
      documentFromRecord(value as Record<string, unknown>, {
        fallbackTitle,
        line: 1,
        keyed: false,
      }),
    ],
    problems: [],
  };
}
