import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { loadEnvironment } from "../../../lib/config/mod.ts";
import { environmentFile } from "../../../lib/config/load_environment.ts";
import { UsageError } from "../../../lib/errors.ts";
import { redactor } from "../../../lib/output/mod.ts";
import { runtimeFor } from "../../../lib/runtime/mod.ts";
import { root } from "../../helpers/test_stack.ts";

let dir: string;

async function write(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await Deno.writeTextFile(file, text);
  return file;
}

async function failure(promise: Promise<unknown>): Promise<UsageError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error("expected a UsageError");
}

const valid = (services: string) =>
  `name: t
runtime: native
stateDir: STATE
services:
${services}`;

beforeAll(async () => {
  dir = await Deno.makeTempDir({ prefix: "ops-config-" });
});
afterAll(async () => {
  await Deno.remove(dir, { recursive: true });
});

describe("loadEnvironment", () => {
  it("loads a valid file with defaults and absolute folders", async () => {
    const file = await write(
      "ok.yaml",
      valid("  redis:\n    port: 7001\n  postgres:\n    port: 7002\n").replace(
        "STATE",
        join(dir, "state"),
      ),
    );
    const env = await loadEnvironment(file);
    expect(env.name).toBe("t");
    expect(env.runtime).toBe("native");
    expect(env.stateDir).toBe(join(dir, "state"));
    expect(env.services.map((s) => s.definition.name)).toEqual(["postgres", "redis"]);
    const pg = env.services[0]!;
    expect(pg.port).toBe(7002);
    expect(pg.settings.database).toBe("app");
    expect(pg.stateDir).toBe(join(dir, "state", "postgres"));
  });

  it("names file, line and field of a value of the wrong type", async () => {
    const file = await write(
      "type.yaml",
      valid("  redis:\n    port: 6379\n  postgres:\n    port: not-a-port\n"),
    );
    const error = await failure(loadEnvironment(file));
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/type\.yaml:8: services\.postgres\.port: .*number/);
  });

  it("refuses an inline secret and points at its line", async () => {
    const file = await write(
      "inline.yaml",
      valid("  postgres:\n    port: 7002\n    password: hunter2hunter2\n"),
    );
    const error = await failure(loadEnvironment(file));
    expect(error.message).toContain(
      "inline.yaml:7: services.postgres.password: inline secret values are not allowed",
    );
    expect(error.message).not.toContain("hunter2hunter2");
  });

  it("suggests the right name for a misspelt service", async () => {
    const file = await write("typo.yaml", valid("  postgress:\n    port: 7002\n"));
    const error = await failure(loadEnvironment(file));
    expect(error.message).toContain(
      "typo.yaml:5: services.postgress: unknown service; did you mean 'postgres'?",
    );
  });

  it("reports a YAML syntax error with its line", async () => {
    const file = await write("syntax.yaml", "name: t\nruntime: native\nstateDir: [unclosed\n");
    const error = await failure(loadEnvironment(file));
    expect(error.message).toMatch(/syntax\.yaml:\d+: invalid YAML/);
  });

  it("refuses unknown top-level keys and unknown runtimes", async () => {
    const file = await write(
      "keys.yaml",
      "name: t\nruntime: kubernetes\nstateDir: x\nservices: {}\nfavourite: blue\n",
    );
    const error = await failure(loadEnvironment(file));
    expect(error.message).toContain("keys.yaml:2: runtime:");
    expect(error.message).toMatch(/keys\.yaml:\d+: \(top level\): .*favourite/);
  });

  it("refuses two services on one port", async () => {
    const file = await write(
      "ports.yaml",
      valid("  postgres:\n    port: 7000\n  redis:\n    port: 7000\n"),
    );
    const error = await failure(loadEnvironment(file));
    expect(error.message).toContain("services.redis.port: port 7000 is already used by postgres");
  });

  it("refuses OpenSearch's transport port on its HTTP port or on another service's port", async () => {
    const own = await write(
      "transport.yaml",
      valid("  opensearch:\n    port: 7100\n    transportPort: 7100\n"),
    );
    expect((await failure(loadEnvironment(own))).message).toMatch(
      /transport\.yaml:\d+: services\.opensearch\.transportPort: port 7100 is already used by opensearch/,
    );
    const shared = await write(
      "transport_shared.yaml",
      valid("  opensearch:\n    port: 7101\n    transportPort: 7102\n  redis:\n    port: 7102\n"),
    );
    expect((await failure(loadEnvironment(shared))).message).toContain(
      "services.redis.port: port 7102 is already used by opensearch (transportPort)",
    );
  });

  it("names a missing secret variable", async () => {
    const file = await write(
      "envsecret.yaml",
      valid("  redis:\n    port: 7001\n    password: env:OPS_TEST_MISSING_SECRET\n"),
    );
    const error = await failure(loadEnvironment(file));
    expect(error.message).toContain('environment variable "OPS_TEST_MISSING_SECRET" is not set');
  });

  it("resolves env and file secrets and registers them for redaction", async () => {
    await Deno.writeTextFile(join(dir, "pw.txt"), "file-secret-value\n");
    Deno.env.set("OPS_TEST_SECRET", "env-secret-value");
    const file = await write(
      "secrets.yaml",
      valid(
        `  redis:\n    port: 7001\n    password: env:OPS_TEST_SECRET\n  postgres:\n    port: 7002\n    password: file:${
          join(dir, "pw.txt")
        }\n`,
      ),
    );
    const env = await loadEnvironment(file);
    expect(env.services.find((s) => s.definition.name === "redis")!.secrets.password).toBe(
      "env-secret-value",
    );
    expect(env.services.find((s) => s.definition.name === "postgres")!.secrets.password).toBe(
      "file-secret-value",
    );
    expect(redactor.redact("a env-secret-value b file-secret-value")).toBe("a *** b ***");
  });

  it("suggests a known environment for a misspelt name", async () => {
    const error = await failure(loadEnvironment("locla"));
    expect(error.message).toContain('unknown environment "locla"');
    expect(error.hint).toContain("did you mean 'local'?");
    // compose.<env>.yaml beside the environments are compose files, not environments
    expect(error.hint).toBe(
      "did you mean 'local'? known environments: cluster, local, production, staging",
    );
  });

  it("takes a relative path from OPS_CWD and a name from environments/", async () => {
    const before = Deno.env.get("OPS_CWD");
    try {
      Deno.env.set("OPS_CWD", dir);
      expect(environmentFile("./a.yaml")).toBe(join(dir, "a.yaml"));
      expect(environmentFile("sub/a")).toBe(join(dir, "sub", "a"));
      expect(environmentFile("a.yml")).toBe(join(dir, "a.yml"));
      expect(environmentFile("/etc/hailmary/a.yaml")).toBe("/etc/hailmary/a.yaml");
      expect(environmentFile("local")).toBe(join(root, "environments", "local.yaml"));
      const file = await write(
        "relative.yaml",
        valid("  redis:\n    port: 7001\n").replace("STATE", join(dir, "state")),
      );
      expect((await loadEnvironment("relative.yaml")).file).toBe(file);
      const error = await failure(loadEnvironment("../nowhere/env.yaml"));
      expect(error.exitCode).toBe(2);
      expect(error.message).toBe(
        `environment file ${join(dir, "..", "nowhere", "env.yaml")} does not exist ` +
          `("../nowhere/env.yaml" is taken from ${dir})`,
      );
      await Deno.mkdir(join(dir, "folder.yaml"));
      const folder = await failure(loadEnvironment("folder.yaml"));
      expect(folder.exitCode).toBe(2);
      expect(folder.message).toMatch(
        new RegExp(
          `^environment file ${join(dir, "folder.yaml")} cannot be read: .*directory`,
          "i",
        ),
      );
    } finally {
      if (before === undefined) Deno.env.delete("OPS_CWD");
      else Deno.env.set("OPS_CWD", before);
    }
  });

  it("validates every shipped environment file", async () => {
    Deno.env.set("HAILMARY_STAGING_POSTGRES_PASSWORD", "x-staging-pg");
    Deno.env.set("HAILMARY_STAGING_REDIS_PASSWORD", "x-staging-redis");
    const local = await loadEnvironment("local");
    expect(local.runtime).toBe("native");
    expect(local.protected).toBe(false);
    const staging = await loadEnvironment("staging");
    expect(staging.runtime).toBe("compose");
    const runtime = runtimeFor(staging);
    expect(runtime.kind).toBe("compose");
    expect(staging.compose?.project).toBe("hailmary-staging");
  });
});
