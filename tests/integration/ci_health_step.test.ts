/**
 * The CI health step as a CI job runs it: the README's lines, from a folder
 * outside the checkout, no terminal, CI=true, through ./ops under the real
 * permission sets; the JUnit report parsed as a CI system would.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import {
  createTestEnvironment,
  ops,
  opsOk,
  root,
  type TestEnvironment,
} from "../helpers/test_stack.ts";

const services = ["ingestor", "opensearch", "postgres", "redis", "web"];
let env: TestEnvironment;
let job: string;

/** The job's steps, exactly as the README shows them. */
async function readmeSteps(): Promise<string[]> {
  const readme = await Deno.readTextFile(join(root, "README.md"));
  const block = /<!-- ci-health-step -->\s*```sh\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error("README.md has no ci-health-step block");
  return block.trim().split("\n");
}

async function step(line: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command("sh", {
    args: ["-c", line],
    cwd: job,
    env: { CI: "true", HAILMARY_OPS: root, OPS_ENV: env.file, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(300_000),
  }).output();
  return {
    code,
    stdout: new TextDecoder().decode(stdout),
    stderr: new TextDecoder().decode(stderr),
  };
}

interface TestCase {
  classname: string;
  name: string;
  time: number;
  failure?: string;
}

/** The suite and test cases of a JUnit report, as a CI system's XML parser reads them. */
function testCases(xml: string): { suite: string; cases: TestCase[] } {
  expect(XMLValidator.validate(xml)).toBe(true);
  const doc = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "",
    isArray: (name) => ["testsuite", "testcase"].includes(name),
  }).parse(xml) as {
    testsuites: {
      testsuite: {
        name: string;
        tests: string;
        failures: string;
        testcase: {
          classname: string;
          name: string;
          time: string;
          failure?: { message: string };
        }[];
      }[];
    };
  };
  const suites = doc.testsuites.testsuite;
  expect(suites.length).toBe(1);
  const suite = suites[0]!;
  const cases = suite.testcase.map((c) => ({
    classname: c.classname,
    name: c.name,
    time: Number(c.time),
    ...(c.failure ? { failure: c.failure.message } : {}),
  }));
  expect(Number(suite.tests)).toBe(cases.length);
  expect(Number(suite.failures)).toBe(cases.filter((c) => c.failure).length);
  return { suite: suite.name, cases };
}

beforeAll(async () => {
  env = await createTestEnvironment({ name: "ci", services });
  job = await Deno.makeTempDir({ prefix: "hailmary-ci-job-" });
});
afterAll(async () => {
  await ops(env.file, ["down"]);
  await env.remove();
  await Deno.remove(job, { recursive: true }).catch(() => {});
});

describe("the CI health step", () => {
  let steps: string[];
  const report = () => join(job, "reports", "health.xml");

  it("runs the README's steps from a job folder: up, then a report of five healthy test cases", async () => {
    steps = await readmeSteps();
    const [up, health, down] = steps;
    expect(up).toMatch(/ops" up$/);
    expect(health).toContain("--junit reports/health.xml");
    expect(down).toMatch(/ops" down$/);

    const started = await step(up!);
    expect(started.code, started.stderr).toBe(0);
    const healthy = await step(health!);
    expect(healthy.code, healthy.stderr).toBe(0);
    const first = testCases(await Deno.readTextFile(report()));
    expect(first.suite).toBe("ci");
    expect(first.cases.map((c) => c.name)).toEqual(services);
    for (const c of first.cases) {
      expect(c.classname).toBe("ci");
      expect(c.failure).toBeUndefined();
      expect(c.time).toBeGreaterThan(0);
      expect(c.time).toBeLessThan(5);
    }
    // nothing but the report was written in the job folder, and nothing in the checkout
    expect([...Deno.readDirSync(join(job, "reports"))].map((e) => e.name)).toEqual(["health.xml"]);
    await expect(Deno.stat(join(root, "reports"))).rejects.toThrow();
  });

  it("writes an absolute report path, creating its folders, and refuses a folder with exit 2", async () => {
    const absolute = join(job, "nested", "deeper", "health.xml");
    const run = await ops(env.file, ["health", "--junit", absolute]);
    expect(run.code, run.stderr).toBe(0);
    expect(testCases(await Deno.readTextFile(absolute)).cases.length).toBe(5);

    const refused = await ops(env.file, ["health", "--junit", job, "--json"]);
    expect(refused.code).toBe(2);
    expect(JSON.parse(refused.stdout)).toEqual({
      error: { code: 2, message: `cannot write ${job}: it is a folder`, hint: expect.any(String) },
    });
  });

  it("runs web and the ingestor, like every service, as the unprivileged service user", async () => {
    const status = JSON.parse((await opsOk(env.file, ["status", "--json"])).stdout) as {
      services: { name: string; pid: number | null }[];
    };
    for (const service of status.services) {
      expect(service.pid, service.name).toBeGreaterThan(1);
      const { stdout } = await new Deno.Command("ps", {
        args: ["-o", "user=", "-g", String(service.pid)],
        stdout: "piped",
      }).output();
      const users = [...new Set(new TextDecoder().decode(stdout).trim().split(/\s+/))];
      if (Deno.uid() === 0) expect(users, service.name).toEqual(["hailmary"]);
      else expect(users, service.name).not.toContain("root");
    }
    const webPid = status.services.find((s) => s.name === "web")!.pid!;
    const web = await new Deno.Command("ps", {
      args: ["-o", "args=", "-p", String(webPid)],
      stdout: "piped",
    }).output();
    // web reads its own folder only: not the checkout, the state, the secrets or the backups
    expect(new TextDecoder().decode(web.stdout)).toContain(
      `--allow-read=${join(root, "services", "web", "app")} `,
    );
  });

  it("gives the service user no access to the secrets folder or the backup catalog", async () => {
    await opsOk(env.file, ["redis:backup"]);
    const secret = join(env.stateDir, "secrets", "redis-password");
    const manifests = [...Deno.readDirSync(join(env.backupDir, "redis"))]
      .filter((e) => e.isDirectory && !e.name.startsWith("."))
      .map((e) => join(env.backupDir, "redis", e.name, "manifest.json"));
    expect(manifests.length).toBeGreaterThan(0);
    expect(Deno.statSync(join(env.stateDir, "secrets")).mode! & 0o077).toBe(0);
    if (Deno.uid() !== 0) return; // without root there is no other user to try
    for (const path of [secret, manifests[0]!, join(env.stateDir, "secrets")]) {
      const { code, stderr } = await new Deno.Command("setpriv", {
        args: ["--reuid=hailmary", "--regid=hailmary", "--clear-groups", "--", "cat", path],
        stdout: "null",
        stderr: "piped",
      }).output();
      expect(code, path).not.toBe(0);
      expect(new TextDecoder().decode(stderr), path).toMatch(/Permission denied/);
    }
  });

  it("fails the step with one failure naming a stopped service, then takes the stack down", async () => {
    const [, health, down] = steps;
    await opsOk(env.file, ["web:stop"]);
    const failed = await step(health!.replace("--wait 120", "--wait 1"));
    expect(failed.code).toBe(1);
    const second = testCases(await Deno.readTextFile(report()));
    const failures = second.cases.filter((c) => c.failure);
    expect(failures.map((c) => c.name)).toEqual(["web"]);
    expect(failures[0]!.failure).toMatch(/^web is stopped/);

    const stopped = await step(down!);
    expect(stopped.code, stopped.stderr).toBe(0);
  });
});
