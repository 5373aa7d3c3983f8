import { describe, expect, it } from "vitest";
import { ops } from "../helpers/test_stack.ts";

// config:validate reads files only: no server, and Docker only for the docker renderer.
const fixture = (name: string) => `tests/fixtures/compose/${name}/env.yaml`;

function dockerComposeAvailable(): boolean {
  try {
    return new Deno.Command("docker", {
      args: ["compose", "version"],
      stdout: "null",
      stderr: "null",
    })
      .outputSync().success;
  } catch {
    return false;
  }
}
const docker = dockerComposeAvailable();

interface Violation {
  rule: string;
  service: string | null;
  file: string | null;
  line: number | null;
  message: string;
}
interface Result {
  ok: boolean;
  environments: {
    environment: string;
    renderer: string;
    services: number;
    violations: Violation[];
  }[];
}

async function validate(args: string[]): Promise<{ code: number; result: Result; stdout: string }> {
  // --env only picks the environment the task starts in; the environments checked are the arguments
  const run = await ops("local", ["config:validate", ...args, "--json"]);
  return { code: run.code, result: JSON.parse(run.stdout) as Result, stdout: run.stdout };
}

const renderers = ["builtin", ...(docker ? ["docker"] : [])];

describe("config:validate", () => {
  it("passes every shipped environment without Docker", async () => {
    const { code, result } = await validate(["--renderer", "builtin"]);
    expect(result.environments.map((e) => e.environment)).toEqual([
      "cluster",
      "local",
      "production",
      "staging",
    ]);
    expect(result.environments.flatMap((e) => e.violations)).toEqual([]);
    expect(result.environments.every((e) => e.services === 5)).toBe(true);
    expect(code).toBe(0);
  });

  it.skipIf(!docker)(
    "passes every shipped environment as docker compose config renders it",
    async () => {
      const { code, result } = await validate(["--renderer", "docker"]);
      expect(result.environments.every((e) => e.renderer === "docker")).toBe(true);
      expect(result.environments.flatMap((e) => e.violations)).toEqual([]);
      expect(code).toBe(0);
    },
  );

  for (const renderer of renderers) {
    describe(`with the ${renderer} renderer`, () => {
      it("accepts the valid fixture", async () => {
        const { code, result } = await validate([fixture("valid"), "--renderer", renderer]);
        expect(result.environments[0]!.violations).toEqual([]);
        expect(result.environments[0]!.services).toBe(4);
        expect(code).toBe(0);
      });

      it("names a service without a health check, with its file and line", async () => {
        const { code, result } = await validate([
          fixture("no_healthcheck"),
          "--renderer",
          renderer,
        ]);
        expect(code).toBe(1);
        expect(result.environments[0]!.violations).toEqual([{
          rule: "healthcheck",
          service: "web",
          file: "tests/fixtures/compose/no_healthcheck/compose.yaml",
          line: 5,
          message: expect.stringContaining("web has no health check"),
        }]);
      });

      it("refuses a published database port in a protected environment, not the web port", async () => {
        const { code, result } = await validate([
          fixture("production_port"),
          "--renderer",
          renderer,
        ]);
        expect(code).toBe(1);
        const violations = result.environments[0]!.violations;
        expect(violations.map((v) => [v.rule, v.service, v.file])).toEqual([
          ["published-port", "postgres", "tests/fixtures/compose/production_port/override.yaml"],
        ]);
        expect(violations[0]!.message).toContain("publishes port 5432");
      });

      it("finds a literal password and a secret variable rendered inline", async () => {
        const { code, result } = await validate([fixture("inline_secret"), "--renderer", renderer]);
        expect(code).toBe(1);
        const violations = result.environments[0]!.violations;
        expect(violations.map((v) => [v.rule, v.service])).toEqual([
          ["inline-secret", "redis"],
          ["inline-secret", "web"],
        ]);
        expect(violations[0]!.message).toContain("REDIS_PASSWORD");
        expect(violations[1]!.message).toContain(
          "HAILMARY_POSTGRES_PASSWORD inline at environment.DATABASE_URL",
        );
        // the check never needs (or prints) a real secret
        expect(JSON.stringify(result)).not.toContain("hunter2");
      });

      it("names each graph dependency that is missing or not health-gated", async () => {
        const { code, result } = await validate([
          fixture("missing_dependency"),
          "--renderer",
          renderer,
        ]);
        expect(code).toBe(1);
        const violations = result.environments[0]!.violations;
        expect(violations.map((v) => [v.rule, v.service])).toEqual([
          ["depends-on", "web"],
          ["depends-on", "web"],
        ]);
        expect(violations.map((v) => v.message).join("\n")).toMatch(
          /redis with condition service_started/,
        );
        expect(violations.map((v) => v.message).join("\n")).toMatch(/no depends_on opensearch/);
      });

      it("reports files that do not render, naming the file and line", async () => {
        const { code, result } = await validate([
          fixture("broken_include"),
          "--renderer",
          renderer,
        ]);
        expect(code).toBe(1);
        const [violation] = result.environments[0]!.violations;
        expect(violation).toMatchObject({
          rule: "render",
          file: "tests/fixtures/compose/broken_include/compose.yaml",
          line: 6,
        });
        expect(violation!.message).toContain("services.postgres conflicts with imported resource");
      });
    });
  }

  it("prints one line per violation for a person", async () => {
    const run = await ops("local", [
      "config:validate",
      fixture("no_healthcheck"),
      "--renderer",
      "builtin",
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      "tests/fixtures/compose/no_healthcheck/compose.yaml:5: web: web has no health check",
    );
  });
});
