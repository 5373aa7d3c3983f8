import { join } from "../posix_path.ts";
import {
  describeOwner,
  type FoundLeftover,
  myOwnerToken,
  ownerState,
  ownerTokenSource,
  parseOwnerToken,
} from "../leftovers/mod.ts";
import type { OpenSearchClient } from "./opensearch_client.ts";
import { deleteSnapshot, unregisterRepository } from "./snapshots.ts";

/** Every snapshot repository a task registers for itself starts with this. */
export const tempRepositoryPrefix = "ops-tmp-";

/** What a temp repository is for: taking a backup's snapshot, or restoring one. */
export type TempRepositoryPurpose = "backup" | "restore";

const namePattern = new RegExp(
  `^${tempRepositoryPrefix}(backup|restore)-(${ownerTokenSource})-[0-9a-f]{4}$`,
);

/**
 * A new temp repository name, also the name of its folder under the
 * snapshots folder: `ops-tmp-<purpose>-<pid>_<start>_<host>-<random>`, naming
 * this process so a later run can tell whether it is still in use.
 */
export async function tempRepositoryName(purpose: TempRepositoryPurpose): Promise<string> {
  const random = Array.from(
    crypto.getRandomValues(new Uint8Array(2)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  return `${tempRepositoryPrefix}${purpose}-${await myOwnerToken()}-${random}`;
}

interface RegisteredRepositories {
  [name: string]: { type?: string; settings?: { location?: string } };
}

interface RunningSnapshots {
  snapshots?: { snapshot: string; repository: string }[];
}

/**
 * The temp snapshot repositories, registered in the cluster or present as a
 * folder under `snapshotsDir`, each marked stale when the run that made it is
 * gone. Removing one deletes its running snapshots (which aborts them),
 * unregisters it and removes its folder.
 * @throws {FailedError} when OpenSearch cannot be reached.
 */
export async function findTempRepositories(
  client: OpenSearchClient,
  snapshotsDir: string,
): Promise<FoundLeftover[]> {
  const registered = await client.request<RegisteredRepositories>("GET", "/_snapshot");
  const names = new Set(Object.keys(registered).filter((name) => namePattern.test(name)));
  try {
    for await (const entry of Deno.readDir(snapshotsDir)) {
      if (entry.isDirectory && namePattern.test(entry.name)) names.add(entry.name);
    }
  } catch {
    // no snapshots folder yet
  }
  const found: FoundLeftover[] = [];
  for (const name of [...names].sort()) {
    const owner = parseOwnerToken(namePattern.exec(name)![2]!);
    const state = owner ? await ownerState(owner) : undefined;
    const isRegistered = name in registered;
    found.push({
      leftover: {
        service: "opensearch",
        kind: isRegistered ? "snapshot repository" : "snapshot folder",
        name,
        location: isRegistered ? "opensearch cluster" : snapshotsDir,
        owner: describeOwner(owner, state),
        stale: state === "dead",
      },
      remove: async () => {
        if (isRegistered) {
          const running = await client.request<RunningSnapshots>("GET", "/_snapshot/_status");
          for (const snapshot of running.snapshots ?? []) {
            if (snapshot.repository === name) {
              await deleteSnapshot(client, name, snapshot.snapshot);
            }
          }
          await unregisterRepository(client, name);
        }
        await Deno.remove(join(snapshotsDir, name), { recursive: true }).catch((error) => {
          if (!(error instanceof Deno.errors.NotFound)) throw error;
        });
      },
    });
  }
  return found;
}
