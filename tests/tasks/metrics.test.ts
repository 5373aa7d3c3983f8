/**
 * ./ops metrics against the shared stack: its text passes `promtool check
 * metrics`, --textfile writes a file node_exporter can read, and a real
 * Prometheus (Debian's, started here on a free loopback port) scrapes
 * `metrics --serve`: the `up` series and the services' series appear.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { sharedStackEnv } from "../helpers/shared_stack.ts";
import { freePort, ops, root } from "../helpers/test_stack.ts";

let dir: string;

beforeAll(async () => {
  dir = await Deno.makeTempDir({ prefix: "hailmary-metrics-" });
});
afterAll(async () => {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
});

async function promtoolCheck(text: string): Promise<{ code: number; out: string }> {
  const child = new Deno.Command("promtool", {
    args: ["check", "metrics"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  return { code, out: new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr) };
}

async function query(
  base: string,
  expr: string,
): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = await response.json() as { data?: { result?: [] } };
  return body.data?.result ?? [];
}

describe("metrics", () => {
  it("prints a Prometheus exposition that promtool accepts, with the stack's series", async () => {
    const run = await ops(sharedStackEnv(), ["metrics"]);
    expect(run.code).toBe(0);
    const check = await promtoolCheck(run.stdout);
    expect(check.out).toBe("");
    expect(check.code).toBe(0);
    for (const service of ["postgres", "redis", "opensearch"]) {
      expect(run.stdout).toContain(
        `hailmary_service_up{environment="shared",service="${service}"} 1`,
      );
      expect(run.stdout).toContain(
        `hailmary_service_healthy{environment="shared",service="${service}"} 1`,
      );
      expect(run.stdout).toMatch(
        new RegExp(
          `hailmary_service_probe_latency_seconds\\{environment="shared",service="${service}"\\} [0-9.e-]+`,
        ),
      );
    }
    expect(run.stdout).toMatch(
      /hailmary_backup_filesystem_avail_bytes\{environment="shared"\} \d+/,
    );
  });

  it("--textfile writes hailmary_<env>.prom atomically into the folder, relative to where it is typed", async () => {
    const run = await ops(sharedStackEnv(), ["metrics", "--textfile", "textfile"], { cwd: dir });
    expect(run.code).toBe(0);
    const file = join(dir, "textfile", "hailmary_shared.prom");
    const text = await Deno.readTextFile(file);
    expect(text).toContain('hailmary_service_up{environment="shared",service="postgres"} 1');
    expect((await promtoolCheck(text)).code).toBe(0);
    // nothing else is left in the folder (the temporary twin was renamed into place)
    const names = [];
    for await (const entry of Deno.readDir(join(dir, "textfile"))) names.push(entry.name);
    expect(names).toEqual(["hailmary_shared.prom"]);
  });

  it("a real Prometheus scrapes metrics --serve: up and a service series appear", async () => {
    const metricsPort = freePort();
    const promPort = freePort();
    const exporter = new Deno.Command(join(root, "ops"), {
      args: ["metrics", "--serve", String(metricsPort), "--env", sharedStackEnv()],
      cwd: root,
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const config = join(dir, "prometheus.yml");
    await Deno.writeTextFile(
      config,
      [
        "global:",
        "  scrape_interval: 1s",
        "  evaluation_interval: 1s",
        "rule_files:",
        `  - ${join(root, "monitoring", "alerts.yml")}`,
        "scrape_configs:",
        "  - job_name: hailmary",
        "    static_configs:",
        `      - targets: ["127.0.0.1:${metricsPort}"]`,
        "",
      ].join("\n"),
    );
    const prometheus = new Deno.Command("prometheus", {
      args: [
        `--config.file=${config}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        `--storage.tsdb.path=${join(dir, "tsdb")}`,
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    const base = `http://127.0.0.1:${promPort}`;
    try {
      let up: Awaited<ReturnType<typeof query>> = [];
      let healthy: Awaited<ReturnType<typeof query>> = [];
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        up = await query(base, 'up{job="hailmary"}').catch(() => []);
        healthy = await query(base, 'hailmary_service_healthy{service="postgres"}').catch(() => []);
        if (up[0]?.value[1] === "1" && healthy.length > 0) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(up[0]?.value[1]).toBe("1");
      expect(healthy[0]?.metric).toMatchObject({
        job: "hailmary",
        environment: "shared",
        service: "postgres",
      });
      expect(healthy[0]?.value[1]).toBe("1");
      // the rules loaded and were evaluated against the scraped series
      const rules = await (await fetch(`${base}/api/v1/rules`)).json() as {
        data: { groups: { rules: { name: string; health: string }[] }[] };
      };
      const names = rules.data.groups.flatMap((g) => g.rules.map((r) => r.name));
      expect(names).toContain("HailMaryServiceDown");
    } finally {
      prometheus.kill("SIGTERM");
      await prometheus.status;
      exporter.kill("SIGTERM");
      const { code } = await exporter.status;
      // interrupted, the exporter stops cleanly
      expect([0, 1, 130, 143]).toContain(code);
    }
  }, 90_000);
});
