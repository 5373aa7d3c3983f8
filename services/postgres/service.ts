import { join } from "../../lib/path.ts";
import { z } from "zod";
import { secretRef } from "../../lib/config/secret_ref.ts";
import { postgresPaths } from "./paths.ts";
import { defineService } from "../../lib/service/define_service.ts";
import { findPostgresBinDir } from "../../lib/service/binaries.ts";
import { renderTemplate } from "../../lib/service/render_template.ts";

const settings = z.object({
  port: z.number().int().min(1).max(65535).default(5432),
  database: z.string().regex(/^[a-z_][a-z0-9_]*$/).default("app"),
  user: z.string().regex(/^[a-z_][a-z0-9_]*$/).default("app"),
  password: secretRef().default("generated:postgres-app-password"),
  superuser: z.string().regex(/^[a-z_][a-z0-9_]*$/).default("postgres"),
  sharedBuffers: z.string().regex(/^\d+(kB|MB|GB)$/).default("256MB"),
  maxConnections: z.number().int().min(5).max(10000).default(100),
}).strict();

/** PostgreSQL settings in an environment file. */
export type PostgresSettings = z.infer<typeof settings>;

export { postgresPaths };

export default defineService({
  name: "postgres",
  description: "PostgreSQL: documents and application data",
  dependsOn: {},
  settings,
  port: (s) => s.port,
  capabilities: ["backup", "restore", "migrate", "psql", "db-reset"],
  probe: (ctx) => ({
    kind: "postgres",
    host: ctx.host,
    port: ctx.settings.port,
    user: ctx.settings.user,
    database: ctx.settings.database,
  }),
  native: (ctx) => {
    const bin = findPostgresBinDir();
    const paths = postgresPaths(ctx.stateDir);
    const confFile = join(paths.conf, "postgresql.conf");
    return {
      command: [join(bin, "postgres"), "-D", paths.data, "-c", `config_file=${confFile}`],
      stopSignal: "SIGINT", // fast shutdown: roll back open transactions, then stop cleanly
      stopTimeoutMs: 30_000,
      readyTimeoutMs: 60_000,
      pidLockFile: join(paths.data, "postmaster.pid"),
      prepare: async (tools) => {
        for (const dir of [paths.conf, paths.socket]) await tools.mkdir(dir, 0o700);
        let initialised = true;
        try {
          await Deno.stat(join(paths.data, "PG_VERSION"));
        } catch {
          initialised = false;
        }
        if (!initialised) {
          await tools.mkdir(paths.data, 0o700);
          await tools.run([
            join(bin, "initdb"),
            "-D",
            paths.data,
            "-U",
            ctx.settings.superuser,
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--no-instructions",
          ]);
        }
        const values = {
          port: ctx.settings.port,
          host: ctx.host,
          dataDir: paths.data,
          socketDir: paths.socket,
          hbaFile: join(paths.conf, "pg_hba.conf"),
          sharedBuffers: ctx.settings.sharedBuffers,
          maxConnections: ctx.settings.maxConnections,
        };
        for (const file of ["postgresql.conf", "pg_hba.conf"]) {
          const template = await Deno.readTextFile(join(ctx.serviceDir, file));
          await tools.writeFile(
            join(paths.conf, file),
            renderTemplate(template, values, `services/postgres/${file}`),
            0o600,
          );
        }
      },
      initialise: async (tools) => {
        const files: string[] = [];
        for await (const entry of Deno.readDir(join(ctx.serviceDir, "init"))) {
          if (entry.isFile && entry.name.endsWith(".sql")) files.push(entry.name);
        }
        for (const file of files.sort()) {
          await tools.run([
            join(bin, "psql"),
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            paths.socket,
            "-p",
            String(ctx.settings.port),
            "-U",
            ctx.settings.superuser,
            "-d",
            "postgres",
            "-f",
            join(ctx.serviceDir, "init", file),
          ], {
            env: {
              HAILMARY_APP_USER: ctx.settings.user,
              HAILMARY_APP_DATABASE: ctx.settings.database,
              HAILMARY_APP_PASSWORD: ctx.secrets.password ?? "",
            },
          });
        }
      },
    };
  },
});
