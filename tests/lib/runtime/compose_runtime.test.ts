import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { ComposeRuntime } from "../../../lib/runtime/compose_runtime.ts";
import { composeCommands, containerProgram } from "../../../lib/runtime/compose_commands.ts";
import type { ComposeProject } from "../../../lib/runtime/compose_project.ts";
import {
  composeProject,
  composeSecretFiles,
  composeVariables,
} from "../../../lib/runtime/compose_project.ts";
import { containerFacts, serviceProcessInfo } from "../../../lib/runtime/compose_state.ts";
import { mergeLines } from "../../../lib/runtime/merge_lines.ts";
import { loadEnvironment } from "../../../lib/config/mod.ts";
import { root } from "../../helpers/test_stack.ts";

const project: ComposeProject = {
  name: "hailmary-staging",
  directory: "/srv/hailmary",
  files: ["/srv/hailmary/compose.yaml", "/srv/hailmary/environments/compose.staging.yaml"],
  envFile: undefined,
  variables: {},
};
const base = [
  "compose",
  "--project-name",
  "hailmary-staging",
  "--project-directory",
  "/srv/hailmary",
  "--file",
  "/srv/hailmary/compose.yaml",
  "--file",
  "/srv/hailmary/environments/compose.staging.yaml",
];

describe("compose runtime argument arrays", () => {
  it("names project, directory, every file and the env file when there is one", () => {
    expect(composeCommands.base(project)).toEqual(base);
    expect(composeCommands.base({ ...project, envFile: "/srv/hailmary/environments/staging.env" }))
      .toEqual([...base, "--env-file", "/srv/hailmary/environments/staging.env"]);
  });

  it("starts one service without its dependencies and waits for its health check", () => {
    expect(composeCommands.up(project, "postgres", 600)).toEqual([
      ...base,
      "up",
      "--detach",
      "--wait",
      "--wait-timeout",
      "600",
      "--no-deps",
      "postgres",
    ]);
  });

  it("stops by removing the service's containers, and lists all containers as JSON", () => {
    expect(composeCommands.remove(project, "redis")).toEqual([
      ...base,
      "rm",
      "--stop",
      "--force",
      "redis",
    ]);
    expect(composeCommands.ps(project)).toEqual([...base, "ps", "--all", "--format", "json"]);
    expect(composeCommands.down(project)).toEqual([...base, "down", "--remove-orphans"]);
  });

  it("tails and follows logs without prefixes or colours", () => {
    expect(composeCommands.logs(project, "opensearch", 50, true)).toEqual([
      ...base,
      "logs",
      "--no-color",
      "--no-log-prefix",
      "--tail",
      "50",
      "--follow",
      "opensearch",
    ]);
    expect(composeCommands.logs(project, "opensearch", 5, false)).not.toContain("--follow");
  });

  it("execs a host-path client by name, passing variables by name only and no TTY by default", () => {
    const args = composeCommands.exec(
      project,
      "postgres",
      ["/usr/lib/postgresql/15/bin/pg_dump", "-h", "/state/postgres/socket", "app"],
      { envNames: ["PGPASSWORD", "LANG"] },
    );
    expect(args).toEqual([
      ...base,
      "exec",
      "-T",
      "--env",
      "PGPASSWORD",
      "--env",
      "LANG",
      "postgres",
      "pg_dump",
      "-h",
      "/state/postgres/socket",
      "app",
    ]);
    expect(composeCommands.exec(project, "postgres", ["psql"], { tty: true })).not.toContain("-T");
    expect(containerProgram("redis-cli")).toBe("redis-cli");
  });

  it("scales with --scale and keeps the running replicas", () => {
    expect(composeCommands.scale(project, "ingestor", 3, 120)).toEqual([
      ...base,
      "up",
      "--detach",
      "--wait",
      "--wait-timeout",
      "120",
      "--no-deps",
      "--no-recreate",
      "--scale",
      "ingestor=3",
      "ingestor",
    ]);
  });
});

describe("compose project of an environment", () => {
  it("defaults to hailmary-<name> with compose.yaml and the environment's override", async () => {
    Deno.env.set("HAILMARY_STAGING_POSTGRES_PASSWORD", "pg-secret-for-test");
    Deno.env.set("HAILMARY_STAGING_REDIS_PASSWORD", "redis-secret-for-test");
    const staging = await loadEnvironment("staging");
    const p = composeProject(staging);
    expect(p.name).toBe("hailmary-staging");
    expect(p.files).toEqual([
      join(root, "compose.yaml"),
      join(root, "environments", "compose.staging.yaml"),
    ]);
    const vars = composeVariables(staging);
    expect(vars.HAILMARY_STATE_DIR).toBe(staging.stateDir);
    expect(vars.HAILMARY_BACKUP_DIR).toBe(staging.backupDir);
    expect(vars.HAILMARY_POSTGRES_PORT).toBe("5432");
    expect(vars.HAILMARY_OPENSEARCH_HEAP).toBe("1g");
    expect(vars.HAILMARY_OPENSEARCH_TRANSPORT_PORT).toBe("9300");
    expect(vars.HAILMARY_SECRETS_DIR).toBe(join(staging.stateDir, "secrets", "compose"));
    // declared by the ingestor's definition: its inbox, mounted at the same path in the container
    expect(vars.HAILMARY_INGESTOR_INBOX).toBe(
      join(await Deno.realPath(root), ".ops", "staging", "ingestor", "inbox"),
    );
    // stream mode: the entrypoint's receiver takes the native slot name, declared by postgres
    expect(vars.HAILMARY_POSTGRES_WAL_RECEIVER).toBe("hailmary_wal");
    expect(vars.HAILMARY_POSTGRES_PITR_SYNCHRONOUS).toBe("false");
    // secrets are files for Docker to mount, never variables
    expect(Object.values(vars)).not.toContain("pg-secret-for-test");
    expect(composeSecretFiles(staging)).toEqual({
      postgres_password: "pg-secret-for-test",
      redis_password: "redis-secret-for-test",
    });
  });

  it("takes a service's own compose variables from its definition, naming no service itself", async () => {
    Deno.env.set("HAILMARY_STAGING_POSTGRES_PASSWORD", "pg-secret-for-test");
    Deno.env.set("HAILMARY_STAGING_REDIS_PASSWORD", "redis-secret-for-test");
    const staging = await loadEnvironment("staging");
    const services = staging.services.map((s) => {
      if (s.definition.name === "ingestor") {
        const { composeVariables: _, ...definition } = s.definition;
        return { ...s, definition };
      }
      if (s.definition.name !== "web") return s;
      const definition = {
        ...s.definition,
        composeVariables: (ctx: { settings: { port: number } }) => ({
          HAILMARY_WEB_DECLARED: `port ${ctx.settings.port}`,
        }),
      };
      return { ...s, definition };
    });
    const vars = composeVariables({ ...staging, services });
    expect(vars.HAILMARY_WEB_DECLARED).toBe("port 3000");
    expect(vars).not.toHaveProperty("HAILMARY_INGESTOR_INBOX");
    expect(vars.HAILMARY_INGESTOR_PORT).toBe("8090");
  });

  it("puts a secret in the docker process environment, never on its command line", async () => {
    // A stand-in for the docker CLI that records its argv and one variable:
    // the only way to read exactly what the runtime spawns without a daemon.
    const dir = await Deno.makeTempDir({ prefix: "compose-exec-" });
    const fake = join(dir, "docker");
    await Deno.writeTextFile(
      fake,
      '#!/bin/sh\nprintf "%s\\n" "$@" > "$0.args"\nprintf "%s" "$PGPASSWORD" > "$0.env"\n',
    );
    await Deno.chmod(fake, 0o755);
    try {
      Deno.env.set("HAILMARY_STAGING_POSTGRES_PASSWORD", "pg-secret-for-test");
      Deno.env.set("HAILMARY_STAGING_REDIS_PASSWORD", "redis-secret-for-test");
      const staging = await loadEnvironment("staging");
      const runtime = new ComposeRuntime(staging, { docker: fake });
      const postgres = staging.services.find((s) => s.definition.name === "postgres")!;
      const child = runtime.exec(postgres, ["/usr/bin/psql", "-c", "select 1"], {
        env: { PGPASSWORD: "the-password" },
        stdout: "null",
        stderr: "null",
      });
      expect((await child.status).success).toBe(true);
      const argv = (await Deno.readTextFile(fake + ".args")).trim().split("\n");
      expect(argv.slice(argv.indexOf("exec"))).toEqual([
        "exec",
        "-T",
        "--env",
        "PGPASSWORD",
        "postgres",
        "psql",
        "-c",
        "select 1",
      ]);
      expect(argv.join(" ")).not.toContain("the-password");
      expect(argv.join(" ")).not.toContain("pg-secret-for-test");
      expect(await Deno.readTextFile(fake + ".env")).toBe("the-password");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

const ps = (entries: Record<string, unknown>[]) => entries.map((e) => JSON.stringify(e)).join("\n");
const inspect = (entries: Record<string, unknown>[]) => JSON.stringify(entries);

describe("container state", () => {
  it("reads a running, healthy container with a published port as running, left to the probe", () => {
    const facts = containerFacts(
      ps([{
        ID: "aaa",
        Service: "postgres",
        State: "running",
        Health: "healthy",
        Publishers: [{ URL: "127.0.0.1", TargetPort: 5432, PublishedPort: 5432 }],
      }]),
      inspect([{
        Id: "aaa111",
        RestartCount: 2,
        State: {
          Status: "running",
          Pid: 4242,
          StartedAt: "2026-01-02T03:04:05.123456789Z",
          Health: { Status: "healthy" },
        },
        Config: { Labels: { "com.docker.compose.service": "postgres" } },
      }]),
    );
    const info = serviceProcessInfo(facts, 5432);
    expect(info).toEqual({
      state: "running",
      pid: 4242,
      startedAt: "2026-01-02T03:04:05.123Z",
      restarts: 2,
    });
  });

  it("takes health from the container where the port is not published", () => {
    const facts = containerFacts(
      ps([{ ID: "bbb", Service: "redis", State: "running", Health: "unhealthy", Publishers: [] }]),
      inspect([{
        Id: "bbb",
        State: {
          Status: "running",
          Pid: 7,
          StartedAt: "2026-01-02T03:04:05Z",
          Health: { Status: "unhealthy", Log: [{ Output: "NOAUTH Authentication required.\n" }] },
        },
      }]),
    );
    const info = serviceProcessInfo(facts, 6379);
    expect(info.state).toBe("running");
    expect(info.health).toEqual({
      healthy: false,
      detail: "container unhealthy: NOAUTH Authentication required.",
    });
  });

  it("calls a restart loop and a non-zero exit crashed, a clean exit or no container stopped", () => {
    const one = (state: string, exitCode: number, health = "") =>
      serviceProcessInfo(
        containerFacts(
          ps([{ ID: "c", Service: "web", State: state, ExitCode: exitCode, Health: health }]),
          "",
        ),
        3000,
      );
    expect(one("restarting", 1)).toMatchObject({
      state: "crashed",
      reason: "restarting after it exited with code 1",
    });
    expect(one("exited", 137)).toMatchObject({
      state: "crashed",
      reason: "container exited with code 137",
    });
    expect(one("exited", 0)).toMatchObject({ state: "stopped" });
    expect(one("running", 0, "starting").state).toBe("starting");
    expect(serviceProcessInfo([], 3000)).toEqual({ state: "stopped", pid: null, startedAt: null });
  });

  it("counts the healthy replicas of a scaled service", () => {
    const facts = containerFacts(
      ps([
        { ID: "r1", Service: "ingestor", State: "running", Health: "healthy" },
        { ID: "r2", Service: "ingestor", State: "running", Health: "starting" },
      ]),
      inspect([
        {
          Id: "r1",
          State: { Status: "running", Pid: 11, Health: { Status: "healthy" } },
          Config: { Labels: { "com.docker.compose.container-number": "1" } },
        },
        {
          Id: "r2",
          State: { Status: "running", Pid: 12, Health: { Status: "starting" } },
          Config: { Labels: { "com.docker.compose.container-number": "2" } },
        },
      ]),
    );
    const info = serviceProcessInfo(facts, 8090);
    expect(info.replicas).toBe(2);
    expect(info.pid).toBe(11);
    expect(info.health).toEqual({
      healthy: false,
      detail: "1/2 replicas healthy; container starting",
    });
  });

  it("reads the array form older Compose versions print", () => {
    const facts = containerFacts(
      JSON.stringify([{ ID: "x", Service: "redis", State: "exited", ExitCode: 0 }]),
      "",
    );
    expect(facts.map((f) => [f.service, f.status])).toEqual([["redis", "exited"]]);
  });
});

describe("log lines of two streams", () => {
  it("keeps every line of stdout and stderr, including a last line without newline", async () => {
    const stream = (...chunks: string[]) =>
      new ReadableStream<Uint8Array>({
        start(c) {
          for (const chunk of chunks) c.enqueue(new TextEncoder().encode(chunk));
          c.close();
        },
      });
    const lines: string[] = [];
    for await (const line of mergeLines([stream("a1\na", "2\n"), stream("b1\nb2")])) {
      lines.push(line);
    }
    expect(lines.sort()).toEqual(["a1", "a2", "b1", "b2"]);
  });
});

describe("service addresses under compose", () => {
  it("points a service without a published port at its container, one with a port at loopback", async () => {
    // a stand-in docker CLI answering `compose ps` and `inspect` as a daemon would
    const dir = await Deno.makeTempDir({ prefix: "compose-addr-" });
    const fake = join(dir, "docker");
    const psLines = ps([
      { ID: "a1", Service: "redis", State: "running", Publishers: [] },
      {
        ID: "b1",
        Service: "web",
        State: "running",
        Publishers: [{ URL: "0.0.0.0", TargetPort: 3000, PublishedPort: 80 }],
      },
      {
        ID: "c1",
        Service: "postgres",
        State: "running",
        Publishers: [{ URL: "127.0.0.1", TargetPort: 5432, PublishedPort: 5432 }],
      },
    ]);
    const inspected = inspect(["a1", "b1", "c1"].map((id, i) => ({
      Id: id,
      State: { Status: "running", Pid: 100 + i, StartedAt: "2026-01-02T03:04:05Z" },
      NetworkSettings: {
        Networks: { "hailmary-production_hailmary": { IPAddress: `172.18.0.${i + 2}` } },
      },
    })));
    await Deno.writeTextFile(join(dir, "ps.json"), psLines);
    await Deno.writeTextFile(join(dir, "inspect.json"), inspected);
    await Deno.writeTextFile(
      fake,
      `#!/bin/sh\ncase " $* " in *" ps "*) cat "${dir}/ps.json" ;; *" inspect "*) cat "${dir}/inspect.json" ;; esac\n`,
    );
    await Deno.chmod(fake, 0o755);
    try {
      const production = await loadEnvironment("production", { resolveSecrets: false });
      const byName = (name: string) => production.services.find((s) => s.definition.name === name)!;
      byName("postgres").host = "172.18.0.99"; // an address from an earlier look is replaced
      await new ComposeRuntime(production, { docker: fake }).resolveAddresses();
      expect(byName("redis").host).toBe("172.18.0.2");
      // web publishes 80, not its own port 3000: tasks reach it on the network
      expect(byName("web").host).toBe("172.18.0.3");
      expect(byName("postgres").host).toBeUndefined();
      // no container: left alone
      expect(byName("opensearch").host).toBeUndefined();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});
