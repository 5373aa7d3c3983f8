import { join } from "../../lib/posix_path.ts";
import { z } from "zod";
import { secretRef } from "../../lib/config/secret_ref.ts";
import { redisPaths } from "../../lib/redis/redis_paths.ts";
import { defineService } from "../../lib/service/define_service.ts";
import { renderTemplate } from "../../lib/service/render_template.ts";

const settings = z.object({
  port: z.number().int().min(1).max(65535).default(6379),
  password: secretRef().default("generated:redis-password"),
  maxMemory: z.string().regex(/^\d+(mb|gb)$/).default("512mb"),
  appendOnly: z.boolean().default(false),
}).strict();

/** Redis settings in an environment file. */
export type RedisSettings = z.infer<typeof settings>;

export { redisPaths };

export default defineService({
  name: "redis",
  description: "Redis: cache, event bus and ingestion job queue",
  dependsOn: {},
  settings,
  port: (s) => s.port,
  capabilities: ["backup", "restore", "flush"],
  probe: (ctx) => ({
    kind: "redis",
    host: ctx.host,
    port: ctx.settings.port,
    passwordSetting: "password",
  }),
  native: (ctx) => {
    const paths = redisPaths(ctx.stateDir);
    return {
      command: ["redis-server", paths.conf],
      stopSignal: "SIGTERM", // Redis saves the dataset (when save points are set) and exits
      stopTimeoutMs: 30_000,
      readyTimeoutMs: 30_000,
      prepare: async (tools) => {
        await tools.mkdir(paths.data, 0o700);
        await tools.mkdir(join(ctx.stateDir, "conf"), 0o700);
        const template = await Deno.readTextFile(join(ctx.serviceDir, "redis.conf"));
        const rendered = renderTemplate(template, {
          host: ctx.host,
          port: ctx.settings.port,
          dataDir: paths.data,
          maxMemory: ctx.settings.maxMemory,
          appendOnly: ctx.settings.appendOnly ? "yes" : "no",
        }, "services/redis/redis.conf");
        // the password lives only in this 0600 file, never on a command line
        const password = ctx.secrets.password;
        const auth = password ? `\nrequirepass "${password.replace(/["\\]/g, "\\$&")}"\n` : "\n";
        await tools.writeFile(paths.conf, rendered + auth, 0o600);
      },
    };
  },
});
