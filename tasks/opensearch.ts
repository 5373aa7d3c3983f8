/**
 * OpenSearch tasks: `opensearch:create-index`, `opensearch:delete-index`,
 * `opensearch:indices`, `opensearch:backup`, `opensearch:restore`. The backup
 * set (tasks/backup_set.ts) calls `backupOpenSearch` / `restoreOpenSearch`,
 * re-exported here.
 * @module
 */
import { UsageError } from "../lib/errors.ts";
import {
  countDocuments,
  createVersionedIndex,
  loadIndexDefinition,
  nameTarget,
  openSearchClientFor,
  type VersionedIndexResult,
} from "../lib/opensearch/mod.ts";
import { formatBytes } from "../lib/output/format_bytes.ts";
import type { Output } from "../lib/output/output.ts";
import { createProgress } from "../lib/output/progress.ts";
import { renderTable } from "../lib/output/table.ts";
import { type AnyTask, defineTask } from "../lib/task/define_task.ts";
import type { TaskContext } from "../lib/task/task_context.ts";
import {
  backupOpenSearch,
  type OpenSearchBackupResult,
  type OpenSearchRestoreResult,
  restoreOpenSearch,
} from "./opensearch_backup.ts";
import { type IndexRow, listIndices } from "./opensearch_indices.ts";

export { backupOpenSearch, restoreOpenSearch } from "./opensearch_backup.ts";
export type {
  OpenSearchBackupOptions,
  OpenSearchBackupResult,
  OpenSearchRestoreOptions,
  OpenSearchRestoreResult,
} from "./opensearch_backup.ts";

/** The result of `opensearch:delete-index`. */
export interface DeleteIndexResult {
  /** The name given. */
  name: string;
  /** The concrete indices deleted. */
  deleted: string[];
  /** Aliases that pointed at them (gone with them). */
  aliases: string[];
  documents: number;
}

/** The result of `opensearch:indices`. */
export interface IndexList {
  indices: IndexRow[];
}

/** Concrete index names allowed on the command line: no wildcards, commas or leading '-'/'_'. */
const concreteName = /^[a-z0-9.][a-z0-9._+-]*$/;

/**
 * Deletes an index, or the indices behind an alias. Refuses, without
 * `--force`, an index behind a live alias or an alias name (that would delete
 * what clients read). Confirms with the document count first.
 * @throws {UsageError} for an unknown name, a wildcard, a refused delete or no confirmation.
 */
export async function deleteIndex(ctx: TaskContext, name: string): Promise<DeleteIndexResult> {
  if (!concreteName.test(name)) {
    throw new UsageError(
      `${JSON.stringify(name)} is not a single index name`,
      "wildcards and lists are refused: name one index (./ops opensearch:indices lists them)",
    );
  }
  const client = openSearchClientFor(ctx.service("opensearch"), { signal: ctx.signal });
  const target = await nameTarget(client, name);
  const rows = await listIndices(client, { hidden: true });
  if (target.kind === "missing") {
    const names = rows.filter((r) => !r.index.startsWith(".")).map((r) => r.index);
    throw new UsageError(
      `there is no index or alias ${JSON.stringify(name)}`,
      `indices: ${names.join(", ") || "none"}`,
    );
  }
  const deleted = target.kind === "alias" ? target.indices : [name];
  const aliases = [
    ...new Set(rows.filter((r) => deleted.includes(r.index)).flatMap((r) => r.aliases)),
  ]
    .sort();
  if (!ctx.force) {
    if (target.kind === "alias") {
      throw new UsageError(
        `${JSON.stringify(name)} is a live alias of ${
          deleted.join(", ")
        }: deleting it deletes what clients read`,
        `add --force to delete ${deleted.join(", ")} and the alias with it`,
      );
    }
    if (aliases.length > 0) {
      throw new UsageError(
        `index ${JSON.stringify(name)} is behind the live alias ${
          aliases.map((a) => JSON.stringify(a)).join(", ")
        }`,
        "point the alias elsewhere first (opensearch:create-index NAME --reindex), or add --force",
      );
    }
  }
  let documents = 0;
  for (const index of deleted) {
    const row = rows.find((r) => r.index === index);
    documents += row?.status === "open" ? await countDocuments(client, index) : (row?.docs ?? 0);
  }
  await ctx.confirm(
    `delete the index ${deleted.join(", ")} (${documents.toLocaleString("en-US")} documents)`,
  );
  await client.request("DELETE", `/${deleted.map(encodeURIComponent).join(",")}`);
  return { name, deleted, aliases, documents };
}

function renderCreate(result: VersionedIndexResult, output: Output): void {
  if (result.action === "created") {
    output.line(`created ${result.index} behind alias ${result.alias}`);
  } else if (result.action === "exists") {
    output.line(`${result.alias} already exists (${result.index})`);
  } else {
    output.line(
      `reindexed ${
        result.documents.toLocaleString("en-US")
      } documents from ${result.previous} into ${result.index}; alias ${result.alias} now points at ${result.index}`,
    );
    if (result.previous !== result.alias) {
      output.line(
        `  ${result.previous} is kept for a rollback: ./ops opensearch:delete-index ${result.previous} removes it`,
      );
    }
  }
}

function renderIndices(list: IndexList, output: Output): void {
  if (list.indices.length === 0) {
    output.line("no indices");
    return;
  }
  const healthStyle = (h: string) => (h === "green" ? "green" : h === "yellow" ? "yellow" : "red");
  output.line(renderTable(
    ["INDEX", "ALIAS", "HEALTH", "DOCS", "SIZE"],
    list.indices.map((r) => [
      r.index,
      r.aliases.join(",") || "-",
      r.status === "close"
        ? output.style("closed", "gray")
        : output.style(r.health, healthStyle(r.health)),
      r.docs === null ? "-" : r.docs.toLocaleString("en-US"),
      r.bytes === null ? "-" : formatBytes(r.bytes),
    ]),
  ));
}

function renderBackup(result: OpenSearchBackupResult, output: Output): void {
  const docs = result.indices.reduce((sum, i) => sum + i.documents, 0);
  output.line(
    result.snapshot === null
      ? `opensearch backup ${result.id}: no indices to back up`
      : `opensearch backup ${result.id}: ${result.indices.length} index(es), ${
        docs.toLocaleString("en-US")
      } documents, ${formatBytes(result.bytes)}, ${(result.durationMs / 1000).toFixed(1)} s`,
  );
  for (const i of result.indices) {
    output.line(
      `  ${i.name}${
        i.aliases.length ? ` (${i.aliases.join(", ")})` : ""
      }: ${i.documents} documents`,
    );
  }
  output.line(`  ${result.path}`);
}

function renderRestore(result: OpenSearchRestoreResult, output: Output): void {
  output.line(
    `opensearch restored from ${result.id}${
      result.renamed ? " beside the live indices" : ""
    }: ${result.indices.length} index(es), document counts match the backup`,
  );
  for (const i of result.indices) output.line(`  ${i.name}: ${i.documents} documents`);
  for (const [alias, indices] of Object.entries(result.aliases)) {
    output.line(`  alias ${alias} -> ${indices.join(", ")}`);
  }
  if (result.safetyBackupId) {
    output.line(`  the replaced indices are in backup ${result.safetyBackupId}`);
  }
}

/** The OpenSearch index and backup tasks. */
export function opensearchTasks(): AnyTask[] {
  const createIndex = defineTask({
    id: "opensearch:create-index",
    summary: "Create index NAME-vN behind alias NAME from services/opensearch/indices/NAME.json",
    service: "opensearch",
    action: "create-index",
    permissions: "ops",
    args: [{
      name: "name",
      description: "index definition name (file name without .json)",
      required: true,
    }],
    options: {
      reindex: {
        type: "boolean",
        description: "build the next version, copy the documents, swap the alias atomically",
        default: false,
      },
    },
    run: async (ctx, { args, options }) => {
      const name = args[0]!;
      const definition = await loadIndexDefinition(name);
      const client = openSearchClientFor(ctx.service("opensearch"), { signal: ctx.signal });
      const progress = createProgress(ctx.output, {
        label: `reindexing ${name}`,
        unit: "documents",
      });
      try {
        return await createVersionedIndex(client, name, definition, {
          reindex: options.reindex,
          signal: ctx.signal,
          onProgress: (p) => progress.update(p.done, p.total || undefined),
        });
      } finally {
        progress.done();
      }
    },
    render: renderCreate,
  });
  const deleteIndexTask = defineTask({
    id: "opensearch:delete-index",
    summary: "Delete an index (refuses one behind a live alias without --force)",
    service: "opensearch",
    action: "delete-index",
    permissions: "ops",
    dangerous: true,
    args: [{
      name: "name",
      description: "the index (or, with --force, alias) to delete",
      required: true,
    }],
    options: {},
    run: (ctx, { args }) => deleteIndex(ctx, args[0]!),
    render: (r, output) =>
      output.line(
        `deleted ${r.deleted.join(", ")} (${r.documents} documents)${
          r.aliases.length ? `; alias ${r.aliases.join(", ")} removed with it` : ""
        }`,
      ),
  });
  const indices = defineTask({
    id: "opensearch:indices",
    summary: "List the indices with their aliases, health, documents and size",
    service: "opensearch",
    action: "indices",
    permissions: "observe",
    options: {
      all: {
        type: "boolean",
        description: "include hidden and system indices ('.' names)",
        default: false,
      },
    },
    run: async (ctx, { options }) => {
      const client = openSearchClientFor(ctx.service("opensearch"), { signal: ctx.signal });
      return { indices: await listIndices(client, { hidden: options.all }) };
    },
    render: renderIndices,
  });
  const backup = defineTask({
    id: "opensearch:backup",
    summary:
      "Back up OpenSearch indices as a snapshot whose files are checksummed into the catalog",
    service: "opensearch",
    action: "backup",
    permissions: "ops",
    options: {
      label: { type: "string", description: "free text kept with the backup", placeholder: "TEXT" },
      indices: {
        type: "string",
        description: "comma-separated indices or aliases (default: every open index)",
        placeholder: "LIST",
      },
    },
    run: (ctx, { options }) =>
      backupOpenSearch(ctx, {
        label: options.label,
        indices: options.indices?.split(",").map((s) => s.trim()).filter(Boolean),
      }),
    render: renderBackup,
  });
  const restore = defineTask({
    id: "opensearch:restore",
    summary:
      "Restore an OpenSearch backup (verified first), replacing the indices or --rename beside them",
    service: "opensearch",
    action: "restore",
    permissions: "ops",
    dangerous: true,
    args: [{ name: "id", description: "backup id, or latest", required: true }],
    options: {
      rename: {
        type: "boolean",
        description: "restore as restored-<name> beside the live indices",
        default: false,
      },
      "no-safety-backup": {
        type: "boolean",
        description: "do not back up the indices about to be replaced",
        default: false,
      },
    },
    run: (ctx, { args, options }) =>
      restoreOpenSearch(ctx, args[0]!, {
        rename: options.rename,
        safetyBackup: !options["no-safety-backup"],
      }),
    render: renderRestore,
  });
  return [createIndex, deleteIndexTask, indices, backup, restore];
}
