import { UsageError } from "../lib/errors.ts";
import { sleep } from "../lib/runtime/proc.ts";
import { SwarmRuntime } from "../lib/runtime/swarm_runtime.ts";
import type { SwarmNode } from "../lib/runtime/swarm_nodes.ts";
import { type AnyTask, defineTask } from "../lib/task/define_task.ts";
import type { TaskContext } from "../lib/task/task_context.ts";

/** One node as `./ops nodes` lists it: the swarm's view of it (without its id), and what runs there. */
export interface NodeRow extends Omit<SwarmNode, "id"> {
  /** The services of the stack running on it, one entry per container. */
  tasks: string[];
}

/** The outcome of node:drain, node:activate and node:label. */
export interface NodeChange {
  node: string;
  change: string;
  /** Containers of the stack on the node afterwards. */
  tasks: string[];
  durationMs: number;
}

function swarm(ctx: TaskContext, task: string): SwarmRuntime {
  if (!(ctx.runtime instanceof SwarmRuntime)) {
    throw new UsageError(
      `${task} works on a swarm; environment ${
        JSON.stringify(ctx.environment.name)
      } has runtime: ${ctx.environment.runtime}`,
      "run it with --env cluster, or another environment with runtime: swarm",
    );
  }
  return ctx.runtime;
}

async function listNodes(runtime: SwarmRuntime): Promise<NodeRow[]> {
  const [nodes, tasks] = await Promise.all([runtime.nodes(), runtime.tasks()]);
  return nodes.map((n) => ({
    ...n,
    tasks: tasks.filter((t) => t.node.name === n.name).map((t) => t.service).sort(),
  })).map(({ id: _id, ...row }) => row);
}

async function tasksOn(runtime: SwarmRuntime, node: string): Promise<string[]> {
  return (await runtime.tasks()).filter((t) => t.node.name === node).map((t) => t.service).sort();
}

function nodeArg(args: string[], task: string): string {
  const name = args[0];
  if (!name) throw new UsageError(`${task} needs the node's name`, "list them with ./ops nodes");
  return name;
}

function renderChange(result: NodeChange, output: { line(text: string): void }): void {
  output.line(
    `${result.node}: ${result.change} (${(result.durationMs / 1000).toFixed(1)} s); running: ${
      result.tasks.join(", ") || "nothing of the stack"
    }`,
  );
}

/** `nodes`, `node:drain`, `node:activate`, `node:label`: the nodes of a swarm environment. */
export function nodeTasks(): AnyTask[] {
  return [
    defineTask({
      id: "nodes",
      summary: "List the swarm's nodes: address, role, availability, state, the stack's containers",
      action: "nodes",
      permissions: "observe",
      snapshotSuffices: true,
      options: {},
      run: async (ctx): Promise<{ nodes: NodeRow[] }> => ({
        nodes: await listNodes(swarm(ctx, "nodes")),
      }),
      render: (result, output) => {
        for (const n of result.nodes) {
          output.line(
            `${n.name.padEnd(18)} ${n.address.padEnd(16)} ${
              (n.role + (n.leader ? "*" : "")).padEnd(9)
            } ${n.availability.padEnd(7)} ${n.state.padEnd(6)} ${n.tasks.join(", ") || "-"}`,
          );
        }
      },
    }),
    defineTask({
      id: "node:drain",
      summary: "Move every container off a node (asks first when it holds a stateful service)",
      action: "node-drain",
      permissions: "ops",
      args: [{ name: "node", description: "the node's name (./ops nodes)", required: true }],
      options: {},
      run: async (ctx, { args }): Promise<NodeChange> => {
        const began = performance.now();
        const runtime = swarm(ctx, "node:drain");
        const name = nodeArg(args, "node:drain");
        const stateful = new Set(await runtime.statefulServices());
        const pinned = (await tasksOn(runtime, name)).filter((s) => stateful.has(s));
        if (pinned.length) {
          await ctx.confirm(
            `drain ${name}: it runs ${pinned.join(", ")}, pinned to it with its data; ${
              pinned.length > 1 ? "they stop" : "it stops"
            } until the node is active again (or the label moves to a node with the data)`,
          );
        }
        await runtime.updateNode(name, ["--availability", "drain"]);
        const deadline = Date.now() + 120_000;
        let left = await tasksOn(runtime, name);
        while (left.length && Date.now() < deadline) {
          await sleep(500);
          left = await tasksOn(runtime, name);
        }
        return {
          node: name,
          change: "drained",
          tasks: left,
          durationMs: Math.round(performance.now() - began),
        };
      },
      render: renderChange,
    }),
    defineTask({
      id: "node:activate",
      summary: "Let a drained or paused node take containers again",
      action: "node-activate",
      permissions: "ops",
      args: [{ name: "node", description: "the node's name (./ops nodes)", required: true }],
      options: {},
      run: async (ctx, { args }): Promise<NodeChange> => {
        const began = performance.now();
        const runtime = swarm(ctx, "node:activate");
        const name = nodeArg(args, "node:activate");
        await runtime.updateNode(name, ["--availability", "active"]);
        return {
          node: name,
          change: "active",
          tasks: await tasksOn(runtime, name),
          durationMs: Math.round(performance.now() - began),
        };
      },
      render: renderChange,
    }),
    defineTask({
      id: "node:label",
      summary: "Set a node label (KEY=VALUE; hailmary.<service>=true pins a stateful service)",
      action: "node-label",
      permissions: "ops",
      args: [
        { name: "node", description: "the node's name (./ops nodes)", required: true },
        { name: "label", description: "KEY=VALUE", required: true },
      ],
      options: {},
      run: async (ctx, { args }): Promise<NodeChange> => {
        const began = performance.now();
        const runtime = swarm(ctx, "node:label");
        const name = nodeArg(args, "node:label");
        const label = args[1] ?? "";
        if (!/^[A-Za-z0-9][A-Za-z0-9._-]*=[^\s]*$/.test(label)) {
          throw new UsageError(
            `a label is KEY=VALUE (letters, digits, '.', '_', '-' in the key), got ${
              JSON.stringify(label)
            }`,
            `for example ./ops node:label ${name} hailmary.postgres=true`,
          );
        }
        await runtime.updateNode(name, ["--label-add", label]);
        return {
          node: name,
          change: `labelled ${label}`,
          tasks: await tasksOn(runtime, name),
          durationMs: Math.round(performance.now() - began),
        };
      },
      render: renderChange,
    }),
  ];
}
