/**
 * `./ops deploy web --env cluster` against a plain `docker service update` of
 * the same image on the swarm, under a steady load of search requests.
 *
 * Needs the cluster stack running (`./ops cluster:create --nodes 3 --env
 * cluster && ./ops up --env cluster`). Two tags of the running web image
 * (same content) are loaded onto every node first, so each rollout replaces
 * every task and neither side pays for moving images. Rounds alternate plain,
 * toolkit, plain, toolkit... and flip between the two tags. The load: CLIENTS
 * loops of `GET /api/search`, round-robin over the nodes that run a web task
 * (the list read again every second), one retry on the next node; a request
 * failed when both tries failed.
 *
 *   deno run -A bench/deploy/run.ts --rounds 3 --clients 4
 * @module
 */
import { parseArgs } from "node:util";
import { loadEnvironment } from "../../lib/config/mod.ts";
import { SwarmRuntime } from "../../lib/runtime/swarm_runtime.ts";
import { moveImages } from "../../lib/runtime/swarm_images.ts";
import { readSwarmNodes } from "../../lib/runtime/swarm_nodes.ts";
import { rolloutFlags } from "../../lib/deploy/swarm_rollout.ts";

const { values } = parseArgs({
  options: {
    env: { type: "string", default: "cluster" },
    rounds: { type: "string", default: "3" },
    clients: { type: "string", default: "4" },
  },
});
const rounds = Number(values.rounds);
const clients = Number(values.clients);
const root = new URL("../..", import.meta.url).pathname;

const environment = await loadEnvironment(values.env!);
const runtime = new SwarmRuntime(environment);
const engines = await runtime.engines();
const service = `${runtime.stack}_web`;
const port = environment.services.find((s) => s.definition.name === "web")!.port!;
const cli = { program: "docker", env: Deno.env.toObject() };

async function docker(args: string[]): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command("docker", {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) throw new Error(`docker ${args.join(" ")}: ${new TextDecoder().decode(stderr)}`);
  return new TextDecoder().decode(stdout).trim();
}

const manager = ["--host", engines.manager.engine];
const current = (await docker([
  ...manager,
  "service",
  "inspect",
  "--format",
  "{{.Spec.TaskTemplate.ContainerSpec.Image}}",
  service,
])).replace(/@sha256:.*$/, "");
const repository = current.slice(0, current.lastIndexOf(":"));
const tags = [`${repository}:bench-a`, `${repository}:bench-b`];
for (const tag of tags) await docker(["tag", current, tag]);
await moveImages(engines.nodes, tags);

/** Addresses of the nodes that run a web task now. */
async function webAddresses(): Promise<string[]> {
  const names = (await docker([
    ...manager,
    "service",
    "ps",
    "--filter",
    "desired-state=running",
    "--format",
    "{{.Node}} {{.CurrentState}}",
    service,
  ])).split("\n").filter((l) => / Running /.test(l)).map((l) => l.split(" ")[0]!);
  const nodes = await readSwarmNodes(cli, engines.manager);
  return nodes.filter((n) => names.includes(n.name)).map((n) => n.address);
}

interface Load {
  requests: number;
  retried: number;
  failed: number;
  stop(): Promise<void>;
}

function startLoad(): Load {
  let addresses: string[] = [];
  let running = true;
  const load: Load = { requests: 0, retried: 0, failed: 0, stop: async () => {} };
  const refresh = (async () => {
    while (running) {
      addresses = await webAddresses().catch(() => addresses);
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  let next = 0;
  const once = async (address: string, q: string) => {
    const response = await fetch(`http://${address}:${port}/api/search?q=${q}`, {
      signal: AbortSignal.timeout(5000),
    });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
  };
  const loops = Array.from({ length: clients }, async (_, i) => {
    while (running) {
      if (!addresses.length) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      const q = `word${(load.requests + i) % 50}`;
      load.requests++;
      const first = addresses[next++ % addresses.length]!;
      try {
        await once(first, q);
      } catch {
        load.retried++;
        try {
          await once(addresses[next++ % addresses.length]!, q);
        } catch {
          load.failed++;
        }
      }
    }
  });
  load.stop = async () => {
    running = false;
    await Promise.all([refresh, ...loops]);
  };
  return load;
}

async function timed(argv: string[], cwd = root): Promise<number> {
  const began = performance.now();
  const { code, stderr } = await new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    cwd,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) throw new Error(`${argv.join(" ")}: ${new TextDecoder().decode(stderr)}`);
  return (performance.now() - began) / 1000;
}

const rows: { round: number; plain: number; toolkit: number; load: Load[] }[] = [];
let flip = 0;
const warm = startLoad();
await new Promise((r) => setTimeout(r, 3000));
for (let round = 1; round <= rounds; round++) {
  const plainLoad = startLoad();
  await new Promise((r) => setTimeout(r, 1000));
  const plain = await timed([
    "docker",
    ...manager,
    "service",
    "update",
    "--quiet",
    ...rolloutFlags(tags[flip++ % 2]!, 5),
    service,
  ]);
  await plainLoad.stop();
  const toolkitLoad = startLoad();
  await new Promise((r) => setTimeout(r, 1000));
  const toolkit = await timed([
    "./ops",
    "deploy",
    "web",
    "--env",
    values.env!,
    "--image",
    tags[flip++ % 2]!,
  ]);
  await toolkitLoad.stop();
  rows.push({ round, plain, toolkit, load: [plainLoad, toolkitLoad] });
  console.log(
    `round ${round}: plain ${
      plain.toFixed(1)
    } s (${plainLoad.requests} requests, ${plainLoad.retried} retried, ${plainLoad.failed} failed), toolkit ${
      toolkit.toFixed(1)
    } s (${toolkitLoad.requests} requests, ${toolkitLoad.retried} retried, ${toolkitLoad.failed} failed), ratio ${
      (toolkit / plain).toFixed(2)
    }`,
  );
}
await warm.stop();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const plainMedian = median(rows.map((r) => r.plain));
const toolkitMedian = median(rows.map((r) => r.toolkit));
console.log(
  `median: plain ${plainMedian.toFixed(1)} s, toolkit ${toolkitMedian.toFixed(1)} s, ratio ${
    (toolkitMedian / plainMedian).toFixed(2)
  }; failed requests: plain ${rows.reduce((n, r) => n + r.load[0]!.failed, 0)}, toolkit ${
    rows.reduce((n, r) => n + r.load[1]!.failed, 0)
  }`,
);
