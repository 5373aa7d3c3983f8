import { createHash } from "node:crypto";
import type { ParsedDocument } from "./document.ts";

/** JSON with object keys sorted, so equal values always give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

/**
 * The sha256 (hex) of a document's content: title, body and metadata. Equal
 * content gives an equal hash, which is how re-ingesting an unchanged file
 * is recognised and skipped.
 */
export function contentHash(doc: Pick<ParsedDocument, "title" | "body" | "metadata">): string {
  return createHash("sha256")
    .update(canonicalJson([doc.title, doc.body, doc.metadata]))
    .digest("hex");
}
