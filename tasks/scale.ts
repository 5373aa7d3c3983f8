import { isStateful } from "../lib/compose/compose_model.ts";
import { availableRenderer, renderCompose } from "../lib/compose/render_compose.ts";
import { FailedError, UsageError } from "../lib/errors.ts";
import { composeProject } from "../lib/runtime/compose_project.ts";
import type { ScaleResult } from "../lib/runtime/runtime.ts";
import { type AnyTask, defineTask } from "../lib/task/define_task.ts";
import type { TaskContext } from "../lib/task/task_context.ts";

/**
 * Scales a service to `replicas` containers. Refused (exit 2) on a runtime
 * that cannot run replicas (native), for a stateful service (one that mounts a
 * named volume: a second container would be a second server on the same
 * data), and for more than one replica of a service that publishes a fixed
 * host port (the second could not bind it).
 * @throws {UsageError} for each refusal, with the reason.
 */
export async function scaleService(
  ctx: TaskContext,
  name: string,
  replicas: number,
): Promise<ScaleResult> {
  const service = ctx.service(name);
  if (!Number.isInteger(replicas) || replicas < 1) {
    throw new UsageError(
      `the number of replicas must be a whole number of at least 1, got ${
        JSON.stringify(String(replicas))
      }`,
      `./ops ${name}:stop stops it`,
    );
  }
  if (!ctx.runtime.scale) {
    throw new UsageError(
      `${name}:scale needs the compose runtime: environment ${
        JSON.stringify(ctx.environment.name)
      } runs each service as one local process (${ctx.runtime.kind} runtime)`,
      "scale in an environment with runtime: compose (staging, production)",
    );
  }
  const project = composeProject(ctx.environment);
  const rendered = await renderCompose(project, { renderer: await availableRenderer() });
  if (!rendered.ok) {
    throw new FailedError(
      `the compose files of ${ctx.environment.name} do not render: ${rendered.error}`,
      {
        hint: "run ./ops config:validate",
      },
    );
  }
  const model = rendered.model.services[name];
  if (!model) {
    throw new UsageError(
      `no compose file of ${ctx.environment.name} defines ${name}`,
      "run ./ops config:validate",
    );
  }
  if (isStateful(model)) {
    const volume = model.mounts.find((m) => m.type === "volume" && m.source !== null)?.source;
    const stateless = Object.entries(rendered.model.services).filter(([, s]) => !isStateful(s)).map(
      (
        [n],
      ) => n,
    );
    throw new UsageError(
      `refusing to scale ${name}: it keeps its data in the volume ${
        JSON.stringify(volume)
      }, and a second container would be a second server on the same data`,
      stateless.length
        ? `scale the stateless services instead (${stateless.join(", ")})`
        : "only stateless services can be scaled",
    );
  }
  const fixed = model.ports.find((p) => p.published !== null && !p.published.includes("-"));
  if (replicas > 1 && fixed) {
    throw new UsageError(
      `refusing to run ${replicas} replicas of ${name}: it publishes the fixed host port ${fixed.published}, which only one container can bind`,
      `publish a port range (e.g. "${fixed.published}-${
        Number(fixed.published) + replicas - 1
      }:${fixed.target}") or put a proxy in front, in environments/compose.${ctx.environment.name}.yaml`,
    );
  }
  ctx.output.info(`scaling ${name} to ${replicas} replica(s)...`);
  return await ctx.runtime.scale(service, replicas);
}

/** `<svc>:scale N` for every service folder; the refusals say which services can scale. */
export function scaleTasks(services: readonly string[]): AnyTask[] {
  return services.map((service) =>
    defineTask({
      id: `${service}:scale`,
      summary: `Run N containers of ${service} (compose or swarm runtime, stateless services only)`,
      service,
      action: "scale",
      permissions: "ops",
      args: [{
        name: "replicas",
        description: "number of containers (at least 1)",
        required: true,
      }],
      options: {},
      run: (ctx, { args }) => scaleService(ctx, service, Number(args[0])),
      render: (result, output) =>
        output.line(
          `${result.service}: ${result.replicas} replica(s) running in ${
            (result.durationMs / 1000).toFixed(1)
          } s`,
        ),
    })
  );
}
