import { listBackups } from "./list_backups.ts";

/** The catalog folder name of stack backup sets: `<backupDir>/sets/<id>/manifest.json`. */
export const setsFolder = "sets";

/** One service backup a set is made of. */
export interface BackupSetPart {
  service: string;
  /** The id of the service backup (`<backupDir>/<service>/<id>`). */
  id: string;
  totalBytes: number;
}

/** What a set's manifest records in `details`. */
export interface BackupSetDetails {
  parts: BackupSetPart[];
}

/** The parts of a set manifest's details (empty when malformed). */
export function setParts(details: Record<string, unknown>): BackupSetPart[] {
  const parts = (details as Partial<BackupSetDetails>).parts;
  if (!Array.isArray(parts)) return [];
  return parts.filter((p): p is BackupSetPart =>
    typeof p === "object" && p !== null && typeof p.service === "string" &&
    typeof p.id === "string"
  );
}

/**
 * The service backups that some stack backup set uses, as `service/id` →
 * the set ids using it. Retention never removes these: a set whose part is
 * gone could not be restored.
 */
export async function backupsInSets(backupDir: string): Promise<Map<string, string[]>> {
  const used = new Map<string, string[]>();
  for (const set of await listBackups(backupDir, setsFolder)) {
    for (const part of setParts(set.manifest.details)) {
      const key = `${part.service}/${part.id}`;
      used.set(key, [...(used.get(key) ?? []), set.manifest.id]);
    }
  }
  return used;
}
