import { createHash } from "node:crypto";
import type { ParsedDocument } from "./document.ts";

/** JSON with object keys sorted, so equal values always give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, sortedKeys) ?? "null";
}

/** JSON.stringify replacer: objects with their keys in order (most already are: no copy then). */
function sortedKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  let sorted = true;
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) {
      sorted = false;
      break;
    }
  }
  if (sorted) return value;
  const out: Record<string, unknown> = {};
  for (const k of keys.sort()) out[k] = (value as Record<string, unknown>)[k];
  return out;
}

/**
 * The sha256 (hex) of a document's content: title, body and metadata. Equal
 * content gives an equal hash, which is how re-ingesting an unchanged file
 * is recognised and skipped.
 */
export function contentHash(doc: Pick<ParsedDocument, "title" | "body" | "metadata">): string {
  // title and body hold no NUL (parsers remove it), so NUL separates the parts unambiguously
  return createHash("sha256")
    .update(doc.title)
    .update("\u0000")
    .update(doc.body)
    .update("\u0000")
    .update(canonicalJson(doc.metadata))
    .digest("hex");
}
