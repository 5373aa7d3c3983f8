import type { ParsedDocument } from "../document.ts";

const titleKeys = ["title", "name", "subject", "heading"];
const bodyKeys = ["body", "content", "text", "description", "summary"];
const idKeys = ["id", "_id", "key", "uuid"];

/** Longest title kept; longer ones are cut (the body keeps everything). */
export const maxTitleLength = 500;

/** Removes NUL characters, which PostgreSQL text and jsonb cannot hold. */
export function withoutNul(text: string): string {
  return text.includes("\u0000") ? text.replaceAll("\u0000", "") : text;
}

/** Deep copy of a JSON value without NUL characters in strings and keys. */
export function cleanJson(value: unknown): unknown {
  if (typeof value === "string") return withoutNul(value);
  if (Array.isArray(value)) return value.map(cleanJson);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[withoutNul(k)] = cleanJson(v);
    return out;
  }
  return value;
}

/** A title cut to {@link maxTitleLength} on one line. */
export function shortTitle(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > maxTitleLength ? line.slice(0, maxTitleLength - 1) + "…" : line;
}

/** The key of `record` that best matches `names` (earlier names win, then earlier keys), case-blind. */
function pick(keys: string[], lower: string[], names: readonly string[]): string | undefined {
  let best: string | undefined;
  let rank = names.length;
  for (let i = 0; i < keys.length; i++) {
    const r = names.indexOf(lower[i]!);
    if (r >= 0 && r < rank) {
      rank = r;
      best = keys[i];
    }
  }
  return best;
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

/**
 * Maps one record (a JSON object or a CSV row) to a document: `title`/`name`
 * become the title, `body`/`content`/`text` the body, `id` the record key,
 * everything else the metadata. Without a body field the other text fields
 * make the body, so the record is still searchable.
 */
export function documentFromRecord(
  input: Record<string, unknown>,
  options: { fallbackTitle: string; line: number; keyed: boolean; mayHoldNul?: boolean },
): ParsedDocument {
  // copying every record costs; only text that can hold a NUL needs it
  const record = options.mayHoldNul === false ? input : cleanJson(input) as Record<string, unknown>;
  const keys = Object.keys(record);
  const lower = keys.map((k) => k.toLowerCase());
  const titleKey = pick(keys, lower, titleKeys);
  const bodyKey = pick(keys, lower, bodyKeys);
  const idKey = options.keyed ? pick(keys, lower, idKeys) : undefined;
  const metadata: Record<string, unknown> = {};
  for (const k of keys) {
    if (k !== titleKey && k !== bodyKey && k !== idKey) metadata[k] = record[k];
  }
  const titleText = titleKey === undefined ? undefined : scalarText(record[titleKey]);
  let body = bodyKey === undefined ? undefined : scalarText(record[bodyKey]);
  if (body === undefined) {
    body = Object.entries(metadata)
      .map(([k, v]) => [k, scalarText(v)] as const)
      .filter(([, v]) => v !== undefined && v !== "")
      .map(([k, v]) => `${k}: ${v}`)
      .join("\n");
  }
  const idText = idKey === undefined ? undefined : scalarText(record[idKey]);
  const recordKey = !options.keyed
    ? ""
    : idText !== undefined && idText !== ""
    ? `id:${idText}`
    : `line:${options.line}`;
  const title = shortTitle(titleText ?? "") || options.fallbackTitle;
  return { recordKey, title, body, metadata, line: options.line };
}
