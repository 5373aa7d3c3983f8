import { FileParseError, type ParsedFile } from "../document.ts";
import { shortTitle, withoutNul } from "./_fields.ts";

/**
 * One document per plain-text file: the first non-empty line is the title,
 * the whole text the body.
 * @throws {FileParseError} when the file is empty.
 */
export function parseText(text: string, fallbackTitle: string): ParsedFile {
  const body = withoutNul(text).trim();
  if (!body) throw new FileParseError("the file is empty", 1);
  const first = body.split("\n").find((l) => l.trim() !== "") ?? "";
  return {
    format: "text",
    documents: [{
      recordKey: "",
      title: shortTitle(first) || fallbackTitle,
      body,
      metadata: {},
      line: 1,
    }],
    problems: [],
  };
}
