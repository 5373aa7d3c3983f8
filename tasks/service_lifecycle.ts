import { FailedError } from "../lib/errors.ts";
import { dependentsOf } from "../lib/graph/mod.ts";
import type { LifecycleResult } from "../lib/runtime/mod.ts";
import { dependencyMap, serviceStatus } from "../lib/stack/mod.ts";
import { type AnyTask, defineTask } from "../lib/task/define_task.ts";
import type { TaskContext } from "../lib/task/task_context.ts";
import { ensureRequirements } from "../lib/setup/mod.ts";

/** One dependency as `validate-deps` sees it. */
export interface DependencyCheck {
  name: string;
  condition: string;
  configured: boolean;
  state: string;
  healthy: boolean;
  ok: boolean;
  detail: string;
}

/** The result of `<svc>:validate-deps`. */
export interface DependencyReport {
  service: string;
  ok: boolean;
  dependencies: DependencyCheck[];
}

/** Checks every dependency of a service: configured, running and (when required) healthy. */
export async function checkDependencies(ctx: TaskContext, name: string): Promise<DependencyReport> {
  const service = ctx.service(name);
  const dependencies = await Promise.all(
    Object.entries(service.definition.dependsOn).map(async ([dep, condition]) => {
      const configured = ctx.environment.services.find((s) => s.definition.name === dep);
      if (!configured) {
        return {
          name: dep,
          condition,
          configured: false,
          state: "missing",
          healthy: false,
          ok: false,
          detail: "not configured in this environment",
        };
      }
      const status = await serviceStatus(ctx.environment, ctx.runtime, configured, ctx.signal);
      const ok = condition === "healthy"
        ? status.healthy
        : status.state === "running" || status.state === "starting";
      return {
        name: dep,
        condition,
        configured: true,
        state: status.state,
        healthy: status.healthy,
        ok,
        detail: status.detail,
      };
    }),
  );
  return { service: name, ok: dependencies.every((d) => d.ok), dependencies };
}

function renderLifecycle(
  result: LifecycleResult,
  output: import("../lib/output/mod.ts").Output,
): void {
  const pid = result.pid ? ` (pid ${result.pid})` : "";
  output.line(
    `${result.service}: ${result.action}${pid} in ${(result.durationMs / 1000).toFixed(1)} s`,
  );
}

/** start, stop, restart, logs and validate-deps for one service. */
export function lifecycleTasks(service: string): AnyTask[] {
  const start = defineTask({
    id: `${service}:start`,
    summary: `Start ${service} and wait until it is healthy (its dependencies must be healthy)`,
    service,
    action: "start",
    permissions: "ops",
    options: {},
    run: async (ctx) => {
      await ensureRequirements(ctx.output, { environment: ctx.environment });
      const deps = await checkDependencies(ctx, service);
      if (!deps.ok) {
        const missing = deps.dependencies.filter((d) => !d.ok).map((d) => `${d.name} (${d.detail})`)
          .join(", ");
        throw new FailedError(`cannot start ${service}: dependencies not ready: ${missing}`, {
          hint: `./ops up ${service} starts it with its dependencies`,
        });
      }
      ctx.output.info(`starting ${service}...`);
      return await ctx.runtime.start(ctx.service(service), { signal: ctx.signal });
    },
    render: renderLifecycle,
  });
  const stop = defineTask({
    id: `${service}:stop`,
    summary: `Stop ${service} gracefully (SIGKILL after its stop timeout)`,
    service,
    action: "stop",
    permissions: "ops",
    options: {},
    run: async (ctx) => {
      const dependents = dependentsOf(dependencyMap(ctx.environment), service);
      if (dependents.length) {
        ctx.output.warn(`${dependents.join(", ")} depend on ${service} and will lose it`);
      }
      return await ctx.runtime.stop(ctx.service(service));
    },
    render: renderLifecycle,
  });
  const restart = defineTask({
    id: `${service}:restart`,
    summary: `Restart ${service} and wait until it is healthy`,
    service,
    action: "restart",
    permissions: "ops",
    options: {},
    run: async (ctx) => {
      const target = ctx.service(service);
      await ctx.runtime.stop(target);
      const result = await ctx.runtime.start(target, { signal: ctx.signal });
      return { ...result, action: "restarted" };
    },
    render: renderLifecycle,
  });
  const logs = defineTask({
    id: `${service}:logs`,
    summary: `Show the log of ${service} (--tail N, --follow)`,
    service,
    action: "logs",
    permissions: "observe",
    options: {
      tail: {
        type: "number",
        description: "number of last lines to show",
        default: 100,
        min: 0,
        integer: true,
        placeholder: "N",
      },
      follow: {
        type: "boolean",
        description: "keep printing new lines until interrupted",
        default: false,
        short: "f",
      },
    },
    run: async (ctx, { options }) => {
      const lines: string[] = [];
      for await (
        const line of ctx.runtime.logs(ctx.service(service), {
          tail: options.tail,
          follow: options.follow,
          signal: ctx.signal,
        })
      ) {
        if (ctx.output.mode === "json") lines.push(line);
        else ctx.output.line(line);
      }
      return { service, lines };
    },
  });
  const validateDeps = defineTask({
    id: `${service}:validate-deps`,
    summary: `Check that every dependency of ${service} is configured, running and healthy`,
    service,
    action: "validate-deps",
    permissions: "observe",
    options: {},
    run: (ctx) => checkDependencies(ctx, service),
    render: (report, output) => {
      if (report.dependencies.length === 0) output.line(`${report.service} has no dependencies`);
      for (const d of report.dependencies) {
        const mark = d.ok ? output.style("ok", "green") : output.style("MISSING", "red");
        output.line(`${mark}  ${d.name} (needs ${d.condition}): ${d.state}, ${d.detail}`);
      }
    },
    exitCode: (report) => (report.ok ? 0 : 1),
  });
  return [start, stop, restart, logs, validateDeps];
}
