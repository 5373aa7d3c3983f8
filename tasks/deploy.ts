/**
 * Deploys and releases: `deploy [SERVICE...]` puts the checkout's code (or
 * `--image`) in place with a health wait and puts the previous version back
 * on failure, `rollback SERVICE` goes back to the version before, `releases`
 * lists what ran when. `web:deploy` is `deploy web`.
 * @module
 */
import { deployCompose, rollbackCompose } from "../lib/deploy/compose_deploy.ts";
import { deployNative, type DeployOptions } from "../lib/deploy/native_deploy.ts";
import type { Release } from "../lib/deploy/release_log.ts";
import { withDeployLock } from "../lib/deploy/deploy_lock.ts";
import type { ConfiguredService } from "../lib/config/mod.ts";
import { ExitCode, UsageError } from "../lib/errors.ts";
import type { Output } from "../lib/output/output.ts";
import { composeProject } from "../lib/runtime/compose_project.ts";
import { SwarmRuntime } from "../lib/runtime/swarm_runtime.ts";
import { deploySwarm, rollbackSwarm } from "../lib/deploy/swarm_deploy.ts";
import { type AnyTask, defineTask } from "../lib/task/define_task.ts";
import type { TaskContext } from "../lib/task/task_context.ts";
import { releasesTask } from "./releases.ts";

/** The result of `deploy` and `rollback`: one release per service, in the order done. */
export interface DeployResult {
  environment: string;
  releases: Release[];
}

/** The services `deploy` takes when none is named: the ones the runtime can replace without data. */
function defaultServices(ctx: TaskContext): string[] {
  const names = ctx.environment.services.map((s) => s.definition.name);
  if (ctx.runtime.kind === "native") return names.filter((n) => n === "web");
  return names.filter((n) => n === "web" || n === "ingestor");
}

async function deploy(
  ctx: TaskContext,
  names: string[],
  options: DeployOptions,
): Promise<DeployResult> {
  const services = (names.length ? names : defaultServices(ctx)).map((n) => ctx.service(n));
  if (services.length === 0) {
    throw new UsageError(
      `environment ${JSON.stringify(ctx.environment.name)} has no service deploy takes by default`,
      "name the services: ./ops deploy SERVICE...",
    );
  }
  const releases: Release[] = [];
  for (const service of services) {
    const release = await withDeployLock(
      ctx.environment,
      service.definition.name,
      "deploy",
      () => deployOne(ctx, service, options),
    );
    releases.push(release);
    // one at a time: a failed service stops the deploy of the next ones
    if (release.outcome !== "succeeded") break;
  }
  return { environment: ctx.environment.name, releases };
}

/** One service's deploy on the environment's runtime. */
function deployOne(
  ctx: TaskContext,
  service: ConfiguredService,
  options: DeployOptions,
): Promise<Release> {
  switch (ctx.runtime.kind) {
    case "native":
      return deployNative(ctx.runtime, service, options);
    case "compose":
      return deployCompose(ctx.runtime, composeProject(ctx.environment), service, options);
    case "swarm":
      return deploySwarm(swarmRuntime(ctx), service, options);
  }
}

/** The swarm runtime of a swarm environment (its engines, stack and project). */
function swarmRuntime(ctx: TaskContext): SwarmRuntime {
  if (!(ctx.runtime instanceof SwarmRuntime)) {
    throw new Error(`the ${ctx.runtime.kind} runtime is not the swarm runtime`);
  }
  return ctx.runtime;
}

function renderReleases(result: DeployResult, output: Output): void {
  for (const r of result.releases) {
    const took = `${(r.durationMs / 1000).toFixed(1)} s`;
    if (r.outcome === "succeeded") {
      output.line(`${r.service}: ${r.action} of ${r.version} succeeded in ${took}`);
    } else {
      output.line(`${r.service}: ${r.action} of ${r.version} failed after ${took}: ${r.detail}`);
    }
  }
}

const deployOptions = {
  image: {
    type: "string",
    description: "deploy this image (already on the Docker host) instead of building one",
    placeholder: "REF",
  },
  timeout: {
    type: "number",
    description: "seconds the new version may take to become healthy before it is undone",
    min: 1,
    placeholder: "SECONDS",
  },
} as const;

function deployInput(
  ctx: TaskContext,
  options: { image?: string | undefined; timeout?: number | undefined },
): DeployOptions {
  return {
    signal: ctx.signal,
    output: ctx.output,
    onStep: (text) => ctx.output.info(text),
    ...(options.image !== undefined ? { image: options.image } : {}),
    ...(options.timeout !== undefined ? { timeoutSeconds: options.timeout } : {}),
  };
}

const failedIfAny = (result: DeployResult) =>
  result.releases.some((r) => r.outcome !== "succeeded") ? ExitCode.failed : ExitCode.ok;

/** `deploy`, `web:deploy`, `rollback` and `releases`. */
export function deployTasks(): AnyTask[] {
  return [
    defineTask({
      id: "deploy",
      summary:
        "Put the checkout's code (or --image) in place, health-gated; the previous version comes back on failure",
      action: "deploy",
      permissions: "ops",
      reachesServices: false,
      programs: () => ["git"],
      args: [{
        name: "service",
        description: "services to deploy (default: web, and ingestor on containers)",
        variadic: true,
      }],
      options: deployOptions,
      run: (ctx, { args, options }) => deploy(ctx, args, deployInput(ctx, options)),
      render: renderReleases,
      exitCode: failedIfAny,
    }),
    defineTask({
      id: "web:deploy",
      summary:
        "Deploy web: natively a new process beside the old on the same port, the old stops once the new is healthy",
      service: "web",
      action: "deploy",
      permissions: "ops",
      reachesServices: false,
      programs: () => ["git"],
      options: deployOptions,
      run: (ctx, { options }) => deploy(ctx, ["web"], deployInput(ctx, options)),
      render: renderReleases,
      exitCode: failedIfAny,
    }),
    defineTask({
      id: "rollback",
      summary:
        "Go back to the version a service ran before its current release (container runtimes)",
      action: "rollback",
      permissions: "ops",
      reachesServices: false,
      args: [{ name: "service", description: "the service to roll back", required: true }],
      options: {
        timeout: deployOptions.timeout,
      },
      run: async (ctx, { args, options }) => {
        const service = ctx.service(args[0]!);
        if (ctx.runtime.kind === "native") {
          throw new UsageError(
            `environment ${JSON.stringify(ctx.environment.name)} runs ${
              args[0]
            } from this checkout (native runtime): there is no earlier build to go back to`,
            `check out the earlier commit (./ops releases lists them), then ./ops deploy ${
              args[0]
            }`,
          );
        }
        const release = await withDeployLock(
          ctx.environment,
          service.definition.name,
          "rollback",
          () =>
            ctx.runtime.kind === "swarm"
              ? rollbackSwarm(swarmRuntime(ctx), service, deployInput(ctx, options))
              : rollbackCompose(
                ctx.runtime,
                composeProject(ctx.environment),
                service,
                deployInput(ctx, options),
              ),
        );
        return { environment: ctx.environment.name, releases: [release] };
      },
      render: renderReleases,
      exitCode: failedIfAny,
    }),
    releasesTask(),
  ];
}
