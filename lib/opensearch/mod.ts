/**
 * OpenSearch mechanisms: a small fetch-based client, index definitions from
 * `services/opensearch/indices/NAME.json`, versioned indices behind aliases
 * (`NAME-vN` behind `NAME`) with reindex and an atomic alias swap.
 *
 * @example
 * ```ts
 * import { ensureIndex, loadIndexDefinition, OpenSearchClient } from "./lib/opensearch/mod.ts";
 * const client = new OpenSearchClient("http://127.0.0.1:9200");
 * await ensureIndex(client, "documents", await loadIndexDefinition("documents"));
 * ```
 * @module
 */
export { OpenSearchClient, openSearchClientFor, OpenSearchError } from "./opensearch_client.ts";
export type {
  OpenSearchClientOptions,
  OpenSearchResponse,
  QueryValues,
  RequestOptions,
} from "./opensearch_client.ts";
export {
  assertIndexName,
  indexDefinitionNames,
  indexNamePattern,
  indicesDir,
  loadIndexDefinition,
} from "./index_definition.ts";
export type { IndexDefinition } from "./index_definition.ts";
export { hasReindexModule, reindex } from "./reindex.ts";
export { copyDocuments } from "./copy_documents.ts";
export {
  createSnapshot,
  deleteSnapshot,
  registerFsRepository,
  restoreSnapshot,
  snapshotInfo,
  unregisterRepository,
} from "./snapshots.ts";
export type { RestoreSnapshotOptions, SnapshotInfo, SnapshotProgress } from "./snapshots.ts";
export { copyFilesForService, filesUnder } from "./snapshot_files.ts";
export {
  findTempRepositories,
  tempRepositoryName,
  tempRepositoryPrefix,
} from "./temp_repositories.ts";
export type { TempRepositoryPurpose } from "./temp_repositories.ts";
export type { ReindexOptions, ReindexProgress, ReindexResult } from "./reindex.ts";
export {
  countDocuments,
  createVersionedIndex,
  ensureIndex,
  indexVersions,
  nameTarget,
} from "./versioned_index.ts";
export type {
  CreateVersionedIndexOptions,
  NameTarget,
  VersionedIndexResult,
} from "./versioned_index.ts";
