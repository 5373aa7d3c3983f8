import { join } from "node:path";
import { stringify } from "yaml";
import { root } from "./test_stack.ts";

/** A compose environment that runs postgres alone, in a temporary folder of its own. */
export interface PostgresComposeEnvironment {
  dir: string;
  /** The environment file. */
  file: string;
  /** postgres's socket folder, at the same path inside and outside the container. */
  socket: string;
  /** The WAL archive folder. */
  archive: string;
}

/**
 * Makes a temporary folder (`prefix`) holding an environment `name` on the compose runtime with
 * postgres alone: the project's postgres compose file included (its build context stays its own
 * folder), its `port` published on 127.0.0.1, the app password read from `passwordVariable`, and
 * `pitr` as its point-in-time recovery settings.
 */
export async function postgresComposeEnvironment(options: {
  prefix: string;
  name: string;
  project: string;
  port: number;
  passwordVariable: string;
  pitr: Record<string, unknown>;
}): Promise<PostgresComposeEnvironment> {
  const dir = await Deno.makeTempDir({ prefix: options.prefix });
  await Deno.chmod(dir, 0o755);
  const stateDir = join(dir, "state");
  const backupDir = join(dir, "backups");
  const main = join(dir, "compose.yaml");
  await Deno.writeTextFile(
    main,
    stringify({ include: [join(root, "services", "postgres", "compose.yaml")] }),
  );
  const override = join(dir, "compose.port.yaml");
  const { port } = options;
  await Deno.writeTextFile(
    override,
    stringify({ services: { postgres: { ports: [`127.0.0.1:${port}:${port}`] } } }),
  );
  const file = join(dir, `${options.name}.yaml`);
  await Deno.writeTextFile(
    file,
    stringify({
      name: options.name,
      runtime: "compose",
      stateDir,
      backupDir,
      compose: { project: options.project, files: [main, override] },
      services: {
        postgres: {
          port,
          password: `env:${options.passwordVariable}`,
          sharedBuffers: "64MB",
          pitr: options.pitr,
        },
      },
    }),
  );
  return {
    dir,
    file,
    socket: join(stateDir, "postgres", "socket"),
    archive: join(backupDir, "postgres-wal"),
  };
}
