import { parseDocument } from "yaml";
import { FileParseError, type ParsedFile } from "../document.ts";
import { cleanJson, shortTitle, withoutNul } from "./_fields.ts";

/**
 * One document per Markdown file. YAML front matter (between `---` lines)
 * becomes the metadata; its `title`, else the first heading, else the first
 * line is the title.
 * @throws {FileParseError} on unterminated or invalid front matter.
 */
export function parseMarkdown(text: string, fallbackTitle: string): ParsedFile {
  let body = text;
  let metadata: Record<string, unknown> = {};
  const lines = text.split("\n");
  let bodyStartLine = 1;
  if (lines[0]?.replace(/\r$/, "") === "---") {
    const end = lines.findIndex((l, i) => i > 0 && /^(---|\.\.\.)\s*$/.test(l));
    if (end < 0) throw new FileParseError("front matter starts with '---' but never ends", 1);
    const yamlText = lines.slice(1, end).join("\n");
    const doc = parseDocument(yamlText, { prettyErrors: false });
    const error = doc.errors[0];
    if (error) {
      // the line inside the front matter (an error at its very end belongs to its last line)
      const yamlLine = Math.min(
        yamlText.slice(0, error.pos[0]).split("\n").length,
        Math.max(1, end - 1),
      );
      const line = yamlLine + 1;
      throw new FileParseError(`invalid YAML front matter: ${error.message.split("\n")[0]}`, line);
    }
    const value = doc.toJS() as unknown;
    if (value !== null && value !== undefined) {
      if (typeof value !== "object" || Array.isArray(value)) {
        throw new FileParseError("front matter must be a YAML mapping (key: value lines)", 2);
      }
      metadata = cleanJson(JSON.parse(JSON.stringify(value))) as Record<string, unknown>;
    }
    body = lines.slice(end + 1).join("\n");
    bodyStartLine = end + 2;
  }
  body = withoutNul(body).trim();
  let title = typeof metadata.title === "string" ? shortTitle(metadata.title) : "";
  if (typeof metadata.title === "string") delete metadata.title;
  if (!title) {
    const heading = /^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$/m.exec(body);
    title = heading?.[1] ? shortTitle(heading[1]) : "";
  }
  if (!title) title = shortTitle(body.split("\n").find((l) => l.trim() !== "") ?? "");
  if (!body && Object.keys(metadata).length === 0) {
    throw new FileParseError("the file is empty", bodyStartLine);
  }
  return {
    format: "markdown",
    documents: [{ recordKey: "", title: title || fallbackTitle, body, metadata, line: 1 }],
    problems: [],
  };
}
