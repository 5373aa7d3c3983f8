import { readReleases, type Release } from "../lib/deploy/release_log.ts";
import { renderTable } from "../lib/output/table.ts";
import { defineTask, type TaskDefinition } from "../lib/task/define_task.ts";

/** The result of `releases`: the environment's releases, oldest first. */
export interface ReleasesResult {
  environment: string;
  releases: Release[];
}

/** `releases [SERVICE]`: what ran when, from the environment's record. */
export function releasesTask(): TaskDefinition<Record<string, never>, ReleasesResult> {
  return defineTask({
    id: "releases",
    summary:
      "List the deploys and rollbacks of the environment: service, version, runtime, when, outcome",
    action: "releases",
    permissions: "observe",
    snapshotSuffices: true,
    args: [{ name: "service", description: "only this service's releases" }],
    options: {},
    run: async (ctx, { args }) => {
      const service = args[0];
      if (service !== undefined) ctx.service(service);
      const all = await readReleases(ctx.environment);
      return {
        environment: ctx.environment.name,
        releases: service === undefined ? all : all.filter((r) => r.service === service),
      };
    },
    render: (result, output) => {
      if (result.releases.length === 0) {
        output.line(`no releases in ${result.environment} yet (./ops deploy records them)`);
        return;
      }
      output.line(renderTable(
        ["started", "service", "action", "version", "runtime", "took", "outcome"],
        result.releases.map((r) => [
          r.startedAt.replace(/\.\d+Z$/, "Z"),
          r.service,
          r.action,
          r.version,
          r.runtime,
          `${(r.durationMs / 1000).toFixed(1)} s`,
          r.outcome === "succeeded" ? r.outcome : `${r.outcome}: ${r.detail ?? ""}`,
        ]),
      ));
    },
  });
}
