/**
 * `./ops deploy web` on a swarm against a plain `docker service update` of
 * the same image, under a steady load of search requests.
 *
 * Needs a cluster stack running (`./ops cluster:create --nodes 3 --env
 * cluster && ./ops up --env cluster`). Two tags of the running web image
 * (same content) are loaded onto every node first, so each rollout replaces
 * every task and nobody pays for moving images. Three contenders, in a
 * different order each round, each rolling out the other tag:
 * - `plain`: `docker service update --image TAG --no-resolve-image SERVICE`,
 *   as an operator types it (the update policy of the stack file);
 * - `plain-same-flags`: the same with the toolkit's rollout flags
 *   (lib/deploy/swarm_rollout.ts), so the ratio is what the toolkit adds;
 * - `toolkit`: `./ops deploy web --image TAG`.
 * The load: CLIENTS loops of `GET /api/search`, round-robin over the nodes
 * that run a web task (the list read again every second), one retry on the
 * next node; a request failed when both tries failed.
 *
 *   deno run -A bench/deploy/run.ts --env cluster --rounds 3 --clients 4
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

/** The three ways of rolling out the next tag, each timed under its own load. */
const contenders: Record<string, (image: string) => string[]> = {
  // what an operator types: the service's own update policy from the stack file
  plain: (image) => [
    "docker",
    ...manager,
    "service",
    "update",
    "--quiet",
    "--image",
    image,
    "--no-resolve-image",
    service,
  ],
  // the same rollout flags the toolkit uses: what the toolkit adds around them
  "plain-same-flags": (image) => [
    "docker",
    ...manager,
    "service",
    "update",
    "--quiet",
    ...rolloutFlags(image, 5),
    service,
  ],
  toolkit: (image) => ["./ops", "deploy", "web", "--env", values.env!, "--image", image],
};

const times: Record<string, number[]> = {};
const failures: Record<string, number> = {};
const retries: Record<string, number> = {};
let flip = 0;
for (let round = 1; round <= rounds; round++) {
  // a different order each round, so load from elsewhere hits each alike
  const names = Object.keys(contenders);
  const order = names.slice(round % names.length).concat(names.slice(0, round % names.length));
  const line: string[] = [];
  for (const name of order) {
    const load = startLoad();
    await new Promise((r) => setTimeout(r, 1000));
    const seconds = await timed(contenders[name]!(tags[flip++ % 2]!));
    await load.stop();
    (times[name] ??= []).push(seconds);
    failures[name] = (failures[name] ?? 0) + load.failed;
    retries[name] = (retries[name] ?? 0) + load.retried;
    line.push(
      `${name} ${
        seconds.toFixed(1)
      } s (${load.requests} requests, ${load.retried} retried, ${load.failed} failed)`,
    );
  }
  console.log(`round ${round}: ${line.join(", ")}`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const toolkit = median(times.toolkit!);
for (const name of Object.keys(contenders)) {
  console.log(
    `${name}: median ${median(times[name]!).toFixed(1)} s, toolkit/${name} ${
      (toolkit / median(times[name]!)).toFixed(2)
    }, failed requests ${failures[name]}, retried ${retries[name]}`,
  );
}
// the two tags were the bench's own: the host keeps the image under its own name
for (const tag of tags) await docker(["rmi", tag]).catch(() => {});
