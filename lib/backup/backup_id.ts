import { UsageError } from "../errors.ts";

/** Shape of a backup id: UTC start time to the second, then six random hex digits. */
export const backupIdPattern: RegExp = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/;

/**
 * A new backup id, sortable by time: `20261122T031500Z-abc123`.
 * @example
 * newBackupId(new Date("2026-11-22T03:15:00Z")); // "20261122T031500Z-…"
 */
export function newBackupId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "Z");
  const random = Array.from(
    crypto.getRandomValues(new Uint8Array(3)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  return `${stamp}-${random}`;
}

/**
 * Checks a backup id given on the command line before it is used in a path.
 * @throws {UsageError} when it is not shaped like an id (so `../x` never reaches the file system).
 */
export function assertBackupId(id: string, hint: string): void {
  if (!backupIdPattern.test(id)) {
    throw new UsageError(
      `${JSON.stringify(id)} is not a backup id (expected e.g. "20261122T031500Z-abc123")`,
      hint,
    );
  }
}

/**
 * Checks an operator's label: free text, but never a path or a control character.
 * @throws {UsageError} for `/`, `\`, `..`, control characters, or more than 100 characters.
 */
export function validateLabel(label: string | undefined): string | undefined {
  if (label === undefined) return undefined;
  const problem = label.trim() === ""
    ? "is empty"
    : /[/\\]/.test(label)
    ? "contains a slash"
    : label.includes("..")
    ? "contains '..'"
    // deno-lint-ignore no-control-regex
    : /[\x00-\x1f\x7f]/.test(label)
    ? "contains a control character"
    : label.length > 100
    ? "is longer than 100 characters"
    : undefined;
  if (problem) {
    throw new UsageError(
      `label ${JSON.stringify(label)} ${problem}`,
      "use letters, digits, spaces, '-', '_' or '.' (e.g. --label before-upgrade)",
    );
  }
  return label;
}
