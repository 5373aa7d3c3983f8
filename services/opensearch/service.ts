import { join } from "../../lib/posix_path.ts";
import { z } from "zod";
import { FailedError } from "../../lib/errors.ts";
import { opensearchPaths } from "../../lib/opensearch/opensearch_paths.ts";
import { defineService } from "../../lib/service/define_service.ts";
import { findJavaHome, opensearchHome } from "../../lib/service/binaries.ts";
import { renderTemplate } from "../../lib/service/render_template.ts";

const settings = z.object({
  port: z.number().int().min(1).max(65535).default(9200),
  transportPort: z.number().int().min(1).max(65535).default(9300),
  version: z.string().regex(/^2\.\d+\.\d+$/, "OpenSearch 2.x (runs on Java 17)").default("2.19.6"),
  heap: z.string().regex(/^\d+[mg]$/, "a JVM size such as 512m or 2g").default("2g"),
}).strict();

/** OpenSearch settings in an environment file. */
export type OpenSearchSettings = z.infer<typeof settings>;

export { opensearchPaths };

export default defineService({
  name: "opensearch",
  description: "OpenSearch: full-text search over ingested documents",
  dependsOn: {},
  settings,
  port: (s) => s.port,
  otherPorts: (s) => ({ transportPort: s.transportPort }),
  capabilities: ["backup", "restore", "create-index", "delete-index", "indices"],
  probe: (ctx) => ({ kind: "opensearch", url: `http://${ctx.host}:${ctx.settings.port}` }),
  native: (ctx) => {
    const home = opensearchHome(ctx.settings.version);
    const paths = opensearchPaths(ctx.stateDir);
    return {
      command: [join(home, "bin", "opensearch")],
      env: {
        OPENSEARCH_PATH_CONF: paths.config,
        OPENSEARCH_JAVA_HOME: findJavaHome(),
        OPENSEARCH_TMPDIR: join(ctx.stateDir, "tmp"),
      },
      stopSignal: "SIGTERM",
      stopTimeoutMs: 60_000,
      readyTimeoutMs: 180_000,
      prepare: async (tools) => {
        try {
          await Deno.stat(join(home, "bin", "opensearch"));
        } catch {
          throw new FailedError(
            `the OpenSearch ${ctx.settings.version} distribution is not installed at ${home}`,
            { hint: "run ./ops setup" },
          );
        }
        for (
          const dir of [
            paths.config,
            join(paths.config, "jvm.options.d"),
            paths.data,
            paths.logs,
            paths.snapshots,
            join(ctx.stateDir, "tmp"),
          ]
        ) {
          await tools.mkdir(dir, 0o750);
        }
        await tools.writeFile(
          join(paths.config, "log4j2.properties"),
          await Deno.readTextFile(join(home, "config", "log4j2.properties")),
          0o640,
        );
        // the stock jvm.options writes GC logs, heap dumps and error files relative to the
        // distribution folder, which the service user may not write: point them at the state folder
        const stockJvm = await Deno.readTextFile(join(home, "config", "jvm.options"));
        await tools.writeFile(
          join(paths.config, "jvm.options"),
          stockJvm.replaceAll("file=logs/", `file=${paths.logs}/`).replaceAll(
            "=logs/",
            `=${paths.logs}/`,
          ).replace(/HeapDumpPath=data/g, `HeapDumpPath=${paths.data}`),
          0o640,
        );
        const template = await Deno.readTextFile(join(ctx.serviceDir, "opensearch.yml"));
        await tools.writeFile(
          join(paths.config, "opensearch.yml"),
          renderTemplate(template, {
            environment: ctx.environment,
            host: ctx.host,
            port: ctx.settings.port,
            transportPort: ctx.settings.transportPort,
            dataDir: paths.data,
            logsDir: paths.logs,
            snapshotsDir: paths.snapshots,
          }, "services/opensearch/opensearch.yml"),
          0o640,
        );
        const jvm = await Deno.readTextFile(join(ctx.serviceDir, "jvm.options"));
        await tools.writeFile(
          join(paths.config, "jvm.options.d", "hailmary.options"),
          renderTemplate(
            jvm,
            { heap: ctx.settings.heap, tmpDir: join(ctx.stateDir, "tmp") },
            "services/opensearch/jvm.options",
          ),
          0o640,
        );
      },
    };
  },
});
