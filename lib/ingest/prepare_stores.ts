import { join } from "../posix_path.ts";
import { servicesDir } from "../project_paths.ts";
import type { PipelineEndpoints } from "./pipeline_endpoints.ts";

/**
 * Makes the stores ready for the first file: applies the PostgreSQL
 * migrations (services/postgres/migrations) and creates the documents index
 * behind its alias when missing. Idempotent. The native runtime runs it before
 * it starts the ingestor; a container runs it itself at start-up
 * (HAILMARY_INGESTOR_PREPARE=true), where no host step comes first.
 */
export async function prepareIngestStores(endpoints: PipelineEndpoints): Promise<void> {
  const { applyMigrations } = await import("../postgres/migrations.ts");
  await applyMigrations({
    connection: endpoints.postgres,
    dir: join(servicesDir, "postgres", "migrations"),
    dryRun: false,
  });
  const { ensureIndex, loadIndexDefinition, OpenSearchClient } = await import(
    "../opensearch/mod.ts"
  );
  await ensureIndex(
    new OpenSearchClient(endpoints.opensearchUrl),
    endpoints.index,
    await loadIndexDefinition("documents"),
  );
}
