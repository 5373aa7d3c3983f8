import { createCluster, destroyCluster } from "../lib/cluster/mod.ts";
import type { ClusterCreated, ClusterRemoval } from "../lib/cluster/mod.ts";
import { environmentArgument } from "../lib/config/environment_argument.ts";
import { UsageError } from "../lib/errors.ts";
import { SwarmRuntime } from "../lib/runtime/swarm_runtime.ts";
import { type AnyTask, defineTask } from "../lib/task/define_task.ts";
import type { TaskContext } from "../lib/task/task_context.ts";

function swarmRuntime(ctx: TaskContext, task: string): SwarmRuntime {
  if (!(ctx.runtime instanceof SwarmRuntime)) {
    throw new UsageError(
      `${task} makes a local Docker Swarm for an environment with runtime: swarm; ${
        JSON.stringify(ctx.environment.name)
      } has runtime: ${ctx.environment.runtime}`,
      `run it with --env cluster (environments/cluster.yaml)`,
    );
  }
  return ctx.runtime;
}

/** `cluster:create` and `cluster:destroy`: the local cluster of a swarm environment. */
export function clusterTasks(): AnyTask[] {
  return [
    defineTask({
      id: "cluster:create",
      summary:
        "Make a local Docker Swarm of N daemons in network namespaces (for trying and testing)",
      action: "cluster-create",
      permissions: "cluster",
      options: {
        nodes: {
          type: "number",
          description: "number of nodes (node 1 manages and holds the stateful services)",
          default: 3,
          integer: true,
          min: 1,
        },
      },
      needs: ({ environment }) => ({ write: [environment.stateDir] }),
      run: async (ctx, { options }): Promise<ClusterCreated> => {
        const runtime = swarmRuntime(ctx, "cluster:create");
        const pinned = await runtime.statefulServices();
        const summary = await createCluster(ctx.environment, {
          nodes: options.nodes,
          pinned,
          info: (line) => ctx.output.info(line),
        });
        return { ...summary, next: `./ops up --env ${environmentArgument(ctx.environment)}` };
      },
      render: (result, output) => {
        output.line(
          `cluster ${result.environment}: ${result.action} in ${
            (result.durationMs / 1000).toFixed(1)
          } s`,
        );
        for (const node of result.nodes) {
          output.line(`  ${node.name}  ${node.address}  ${node.role}  ${node.engine}`);
        }
        output.line(`next: ${result.next}`);
      },
    }),
    defineTask({
      id: "cluster:destroy",
      summary: "Remove the local cluster: daemons, namespaces, links, folders (its data too)",
      action: "cluster-destroy",
      permissions: "cluster",
      dangerous: true,
      options: {},
      needs: ({ environment }) => ({ write: [environment.stateDir] }),
      run: async (ctx): Promise<ClusterRemoval> => {
        swarmRuntime(ctx, "cluster:destroy");
        await ctx.confirm(
          `remove the local cluster of ${ctx.environment.name} with the containers and images on its nodes`,
        );
        return await destroyCluster(ctx.environment);
      },
      render: (result, output) => {
        output.line(
          `cluster ${result.environment}: ${result.action} in ${
            (result.durationMs / 1000).toFixed(1)
          } s`,
        );
        for (const line of result.removed) output.line(`  ${line}`);
      },
    }),
  ];
}
