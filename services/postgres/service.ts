import { join } from "../../lib/posix_path.ts";
import { z } from "zod";
import { secretRef } from "../../lib/config/secret_ref.ts";
import { postgresPaths } from "../../lib/postgres/postgres_paths.ts";
import { defineService } from "../../lib/service/define_service.ts";
import { findPostgresBinDir } from "../../lib/service/binaries.ts";
import { renderTemplate } from "../../lib/service/render_template.ts";
import { walArchiveDir, walReceiverName } from "../../lib/postgres/wal_archive.ts";

/**
 * Point-in-time recovery: `archive` ships each finished WAL segment to the
 * archive (at the latest `archiveTimeout` seconds after a write), `stream`
 * streams it there as it is written (pg_receivewal; with `synchronous`, a
 * commit returns only once its WAL is in the archive).
 */
const pitr = z.object({
  mode: z.enum(["off", "archive", "stream"]).default("off"),
  archiveTimeout: z.number().int().min(1).max(86_400).default(60),
  synchronous: z.boolean().default(false),
}).strict().refine((p) => !p.synchronous || p.mode === "stream", {
  message: "synchronous needs mode: stream (only a streaming receiver can confirm commits)",
  path: ["synchronous"],
});

const settings = z.object({
  port: z.number().int().min(1).max(65535).default(5432),
  database: z.string().regex(/^[a-z_][a-z0-9_]*$/).default("app"),
  user: z.string().regex(/^[a-z_][a-z0-9_]*$/).default("app"),
  password: secretRef().default("generated:postgres-app-password"),
  superuser: z.string().regex(/^[a-z_][a-z0-9_]*$/).default("postgres"),
  sharedBuffers: z.string().regex(/^\d+(kB|MB|GB)$/).default("256MB"),
  maxConnections: z.number().int().min(5).max(10000).default(100),
  pitr: pitr.prefault({}),
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
  capabilities: ["backup", "restore", "migrate", "psql", "db-reset", "recovery-window"],
  probe: (ctx) => ({
    kind: "postgres",
    host: ctx.host,
    port: ctx.settings.port,
    user: ctx.settings.user,
    database: ctx.settings.database,
    // status, health and the dashboard show how far the WAL archive trails the server
    // (stream mode has no archiver: its receiver's state and the archive's newest file tell)
    ...(ctx.settings.pitr.mode === "off" ? {} : {
      walArchive: {
        ...(ctx.settings.pitr.mode === "archive"
          ? { readyDir: join(postgresPaths(ctx.stateDir).data, "pg_wal", "archive_status") }
          : {}),
        archiveDir: walArchiveDir(ctx.environmentFolders.backupDir),
      },
    }),
  }),
  // stream mode in a container: the entrypoint's receiver uses the same slot as natively
  composeVariables: () => ({ HAILMARY_POSTGRES_WAL_RECEIVER: walReceiverName }),
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
      ...(ctx.settings.pitr.mode === "stream"
        ? {
          companions: [{
            name: "wal-receiver",
            command: [
              join(ctx.serviceDir, "wal_receiver.sh"),
              bin,
              paths.socket,
              String(ctx.settings.port),
              ctx.settings.superuser,
              walArchiveDir(ctx.environmentFolders.backupDir),
              walReceiverName,
              ctx.settings.pitr.synchronous ? "1" : "0",
            ],
          }],
        }
        : {}),
      prepare: async (tools) => {
        for (const dir of [paths.conf, paths.socket]) await tools.mkdir(dir, 0o700);
        const pitr = ctx.settings.pitr;
        const archiveDir = walArchiveDir(ctx.environmentFolders.backupDir);
        if (pitr.mode !== "off") await prepareArchiveFolder(archiveDir, tools);
        if (pitr.mode === "stream") {
          await copyTimelineHistory(archiveDir, join(paths.data, "pg_wal"));
        }
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
          archiveMode: pitr.mode === "archive" ? "on" : "off",
          archiveCommand: pitr.mode === "archive"
            ? confString(
              `${shellQuote(join(ctx.serviceDir, "archive_wal.sh"))} "%p" "%f" ${
                shellQuote(archiveDir)
              }`,
            )
            : "",
          archiveTimeout: pitr.mode === "archive" ? pitr.archiveTimeout : 0,
          synchronousStandbyNames: pitr.mode === "stream" && pitr.synchronous
            ? walReceiverName
            : "",
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
              // the WAL receiver starts after this: a synchronous commit would wait for it
              PGOPTIONS: "-c synchronous_commit=local",
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

/**
 * Creates the WAL archive folder for the service user (0700: the server's own
 * data). Its parent, the environment's backup folder, must let the service
 * user pass (o+x), not list: the catalog folders in it stay 0750 root.
 */
async function prepareArchiveFolder(
  archiveDir: string,
  tools: { mkdir(path: string, mode?: number): Promise<void> },
): Promise<void> {
  const parent = join(archiveDir, "..");
  await Deno.mkdir(parent, { recursive: true, mode: 0o751 });
  const info = await Deno.stat(parent);
  if (((info.mode ?? 0) & 0o001) === 0 && Deno.uid() === 0) {
    await Deno.chmod(parent, ((info.mode ?? 0o750) & 0o777) | 0o001);
  }
  await tools.mkdir(archiveDir, 0o700);
}

/**
 * pg_receivewal resumes on the timeline of the newest segment in the archive
 * and asks the server for that timeline's history, which a server restored
 * from a base backup (or switched from archive mode) may not hold: the
 * archived history files are put into its pg_wal, as recovery itself does.
 */
async function copyTimelineHistory(archiveDir: string, walDir: string): Promise<void> {
  try {
    for await (const entry of Deno.readDir(archiveDir)) {
      if (!/^[0-9A-F]{8}\.history$/.test(entry.name)) continue;
      const target = join(walDir, entry.name);
      if (await Deno.stat(target).then(() => true, () => false)) continue;
      await Deno.copyFile(join(archiveDir, entry.name), target);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/** A path for `sh -c`, single-quoted. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A postgresql.conf string value's inside: single quotes doubled. */
function confString(text: string): string {
  return text.replace(/'/g, "''");
}
