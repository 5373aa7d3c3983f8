import { join } from "../lib/posix_path.ts";
import { FailedError, UsageError } from "../lib/errors.ts";
import { dependenciesOf, dependencyWaves } from "../lib/graph/mod.ts";
import type { Output } from "../lib/output/mod.ts";
import { prepareOutputFile, renderTable, writeOutputFile } from "../lib/output/mod.ts";
// status and health import only what observing needs: the runtime's process
// table reader and the probes; setup, the compose machinery and the live model
// of `status --watch` load in the tasks that use them
import type { LifecycleResult } from "../lib/runtime/runtime.ts";
import { sleep } from "../lib/runtime/proc.ts";
import type { RequirementResult } from "../lib/setup/mod.ts";
import {
  dependencyMap,
  type ServiceStatus,
  type StackStatus,
  stackStatus,
} from "../lib/stack/stack_status.ts";
import { type AnyTask, defineTask } from "../lib/task/define_task.ts";
import type { TaskContext } from "../lib/task/task_context.ts";
import { junitReport } from "./junit_report.ts";
import type { LeftoversResult } from "./leftovers.ts";
import { renderLeftovers } from "./render_leftovers.ts";

/** Services named on the command line plus everything they need, or all services. */
function selectServices(ctx: TaskContext, names: string[], withDependencies: boolean): Set<string> {
  if (names.length === 0) return new Set(ctx.environment.services.map((s) => s.definition.name));
  const graph = dependencyMap(ctx.environment);
  const out = new Set<string>();
  for (const name of names) {
    ctx.service(name);
    out.add(name);
    if (withDependencies) { for (const dep of dependenciesOf(graph, name)) out.add(dep); }
  }
  return out;
}

function formatUptime(seconds: number | null): string {
  if (seconds === null) return "-";
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${seconds % 60}s`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86400)}d${Math.floor((seconds % 86400) / 3600)}h`;
}

/** Prints a stack status as a table (tty) or one plain line per service. */
export function renderStatus(status: StackStatus, output: Output): void {
  const stateStyle = (s: ServiceStatus) =>
    s.state === "running"
      ? (s.healthy ? "green" : "yellow")
      : s.state === "crashed"
      ? "red"
      : s.state === "starting"
      ? "yellow"
      : "gray";
  if (output.mode === "plain") {
    for (const s of status.services) {
      output.line(
        `${s.name} state=${s.state} health=${s.healthy ? "healthy" : "unhealthy"} latency_ms=${
          s.latencyMs ?? "-"
        } pid=${s.pid ?? "-"} port=${s.port ?? "-"} uptime=${
          formatUptime(s.uptimeSeconds)
        } detail="${s.detail}"`,
      );
    }
    return;
  }
  output.line(output.style(`environment ${status.environment}`, "bold"));
  output.line(renderTable(
    ["SERVICE", "STATE", "HEALTH", "LATENCY", "PID", "PORT", "UPTIME", "DETAIL"],
    status.services.map((s) => [
      s.name,
      output.style(s.state, stateStyle(s)),
      s.healthy
        ? output.style("healthy", "green")
        : output.style("unhealthy", s.state === "stopped" ? "gray" : "red"),
      s.latencyMs === null ? "-" : `${s.latencyMs.toFixed(1)} ms`,
      s.pid === null ? "-" : String(s.pid),
      s.port === null ? "-" : String(s.port),
      formatUptime(s.uptimeSeconds),
      s.detail,
    ]),
  ));
}

/** The result of `up` and `down`. */
export interface LifecycleSummary {
  environment: string;
  services: LifecycleResult[];
}

function renderLifecycleSummary(summary: LifecycleSummary, output: Output): void {
  for (const r of summary.services) {
    output.line(
      `${r.service}: ${r.action}${r.pid ? ` (pid ${r.pid})` : ""} in ${
        (r.durationMs / 1000).toFixed(1)
      } s`,
    );
  }
}

/** The stack tasks: setup, up, down, status, health, cleanup. */
export function stackTasks(): AnyTask[] {
  const setup = defineTask({
    id: "setup",
    summary:
      "Install what the environment needs (native: PostgreSQL, Redis, Java 17, OpenSearch; compose: Docker, Compose, images); a second run changes nothing",
    action: "setup",
    permissions: "setup",
    options: {
      rebuild: {
        type: "boolean",
        description:
          "compose: build the service images again from the current checkout (unchanged layers come from the cache)",
        default: false,
      },
    },
    run: async (
      ctx,
      { options },
    ): Promise<{ requirements: RequirementResult[]; changed: boolean }> => {
      const { ensureRequirements } = await import("../lib/setup/mod.ts");
      const requirements = await ensureRequirements(ctx.output, {
        environment: ctx.environment,
        rebuild: options.rebuild,
      });
      return { requirements, changed: requirements.some((r) => r.action === "installed") };
    },
    render: (result, output) => {
      for (const r of result.requirements) {
        output.line(
          `${
            r.action === "installed" ? output.style("installed", "green") : "present  "
          }  ${r.name}`,
        );
      }
      output.line(
        result.changed ? "setup complete" : "nothing to do: everything is already installed",
      );
    },
  });

  const up = defineTask({
    id: "up",
    summary: "Start the stack (or the named services and their dependencies) in dependency waves",
    action: "up",
    permissions: "ops",
    args: [{ name: "services", description: "services to start (default: all)", variadic: true }],
    options: {},
    run: async (ctx, { args }): Promise<LifecycleSummary> => {
      const { ensureRequirements } = await import("../lib/setup/mod.ts");
      await ensureRequirements(ctx.output, { environment: ctx.environment });
      const selected = selectServices(ctx, args, true);
      const waves = dependencyWaves(dependencyMap(ctx.environment)).map((w) =>
        w.filter((n) => selected.has(n))
      ).filter((w) => w.length);
      const results: LifecycleResult[] = [];
      for (const wave of waves) {
        ctx.output.info(`starting ${wave.join(", ")}...`);
        const settled = await Promise.allSettled(
          wave.map((name) => ctx.runtime.start(ctx.service(name), { signal: ctx.signal })),
        );
        const failures: string[] = [];
        settled.forEach((s, i) => {
          if (s.status === "fulfilled") {
            results.push(s.value);
            ctx.output.info(`  ${s.value.service}: ${s.value.action}`);
          } else {failures.push(
              `${wave[i]}: ${s.reason instanceof Error ? s.reason.message : String(s.reason)}`,
            );}
        });
        if (failures.length) {
          throw new FailedError(`the stack did not come up:\n  ${failures.join("\n  ")}`, {
            hint: "fix the cause, then run ./ops up again (it keeps what already runs)",
          });
        }
      }
      return { environment: ctx.environment.name, services: results };
    },
    render: renderLifecycleSummary,
  });

  const down = defineTask({
    id: "down",
    summary: "Stop the stack (or the named services) in reverse dependency order",
    action: "down",
    permissions: "ops",
    args: [{ name: "services", description: "services to stop (default: all)", variadic: true }],
    options: {},
    run: async (ctx, { args }): Promise<LifecycleSummary> => {
      const selected = selectServices(ctx, args, false);
      const waves = dependencyWaves(dependencyMap(ctx.environment)).reverse().map((w) =>
        w.filter((n) => selected.has(n))
      ).filter((w) => w.length);
      const results: LifecycleResult[] = [];
      for (const wave of waves) {
        results.push(...await Promise.all(wave.map((name) => ctx.runtime.stop(ctx.service(name)))));
      }
      return { environment: ctx.environment.name, services: results };
    },
    render: renderLifecycleSummary,
  });

  const status = defineTask({
    id: "status",
    summary: "Show state, health, latency, pid, port and uptime of every service",
    action: "status",
    permissions: "observe",
    snapshotSuffices: true,
    options: {
      watch: {
        type: "number",
        description:
          "redraw every SECONDS until interrupted (a table on a terminal, plain lines otherwise)",
        min: 0.5,
        placeholder: "SECONDS",
      },
    },
    run: async (ctx, { options }) =>
      options.watch === undefined
        ? await stackStatus(ctx.environment, ctx.runtime, ctx.signal)
        : (await import("../lib/stack/watch_status.ts")).watchStatus({
          environment: ctx.environment,
          runtime: ctx.runtime,
          output: ctx.output,
          signal: ctx.signal,
          intervalSeconds: options.watch,
          render: renderStatus,
        }),
    render: renderStatus,
  });

  const health = defineTask({
    id: "health",
    summary: "Exit 0 when every service is healthy, 1 otherwise (--wait SECONDS, --junit FILE)",
    action: "health",
    permissions: "observe",
    snapshotSuffices: true,
    options: {
      wait: {
        type: "number",
        description: "keep probing up to this many seconds until all are healthy",
        default: 0,
        min: 0,
        placeholder: "SECONDS",
      },
      junit: {
        type: "string",
        description: "write a JUnit XML report (one test case per service) to FILE",
        placeholder: "FILE",
        output: true,
      },
      "max-wal-lag": {
        type: "number",
        description: "postgres is unhealthy when its WAL archive trails it by more (PITR)",
        min: 0,
        placeholder: "SECONDS",
      },
    },
    run: async (ctx, { options }): Promise<StackStatus & { healthy: boolean }> => {
      if (options.junit) await prepareOutputFile(options.junit);
      const deadline = Date.now() + options.wait * 1000;
      const probe = async () => {
        const status = await stackStatus(ctx.environment, ctx.runtime, ctx.signal);
        const maxLag = options["max-wal-lag"];
        if (maxLag === undefined) return status;
        // loaded here: status and health without the option do not need the catalog
        const { walLagVerdict } = await import("./postgres_pitr.ts");
        return await walLagVerdict(ctx, status, maxLag);
      };
      let result = await probe();
      while (
        !result.services.every((s) => s.healthy) && Date.now() < deadline && !ctx.signal.aborted
      ) {
        await sleep(500);
        result = await probe();
      }
      if (options.junit) await writeOutputFile(options.junit, junitReport(result));
      return { ...result, healthy: result.services.every((s) => s.healthy) };
    },
    render: (result, output) => {
      if (output.mode === "tty") renderStatus(result, output);
      else {for (const s of result.services) {
          output.line(`${s.healthy ? "healthy" : "unhealthy"} ${s.name} (${s.detail})`);
        }}
    },
    exitCode: (result) => (result.healthy ? 0 : 1),
  });

  const cleanup = defineTask({
    id: "cleanup",
    summary: "Remove the state (data, logs, config) of stopped services; asks first",
    action: "cleanup",
    permissions: "ops",
    dangerous: true,
    args: [{
      name: "services",
      description: "services to clean (default: every stopped one)",
      variadic: true,
    }],
    options: {
      leftovers: {
        type: "boolean",
        description:
          "instead: remove what interrupted runs left (scratch databases, temp files, snapshot repositories, temp backup folders) whose run is gone; lists them first",
        default: false,
      },
    },
    run: async (ctx, { args, options }): Promise<{ removed: string[] } | LeftoversResult> => {
      if (options.leftovers) {
        // loaded here: it brings the backup modules, which status and health do not need
        const { cleanLeftovers } = await import("./leftovers.ts");
        return await cleanLeftovers(ctx, selectServices(ctx, args, false));
      }
      const selected = selectServices(ctx, args, false);
      const removable: string[] = [];
      for (const name of selected) {
        const service = ctx.service(name);
        const info = await ctx.runtime.inspect(service);
        if (info.state === "running" || info.state === "starting") {
          if (args.length) {
            throw new UsageError(
              `${name} is running: stop it before removing its state`,
              `./ops ${name}:stop`,
            );
          }
          continue;
        }
        try {
          await Deno.stat(service.stateDir);
          removable.push(name);
        } catch {
          // nothing on disk
        }
      }
      if (removable.length === 0) return { removed: [] };
      await ctx.confirm(
        `remove all data, logs and config of ${removable.join(", ")} (${
          join(ctx.environment.stateDir, "<service>")
        })`,
      );
      for (const name of removable) {
        const service = ctx.service(name);
        await ctx.runtime.stop(service);
        await Deno.remove(service.stateDir, { recursive: true });
      }
      return { removed: removable };
    },
    render: (result, output) => {
      if ("unchecked" in result) return renderLeftovers(result, output);
      output.line(
        result.removed.length
          ? `removed the state of ${result.removed.join(", ")}`
          : "nothing to clean: no stopped service has state",
      );
    },
    exitCode: (result) => ("failed" in result && result.failed.length > 0 ? 1 : 0),
  });

  return [setup, up, down, status, health, cleanup];
}
