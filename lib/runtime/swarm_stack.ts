import { join } from "../posix_path.ts";
import type { Environment } from "../config/mod.ts";
import { placementConstraint } from "./swarm_placement.ts";

type Dict = Record<string, unknown>;

/** A service of the merged compose model (`docker compose config --format json`). */
interface ComposeService {
  image?: string;
  /** Long syntax (`docker compose config`) or short `source:target[:ro]` (the built-in merge). */
  volumes?: (VolumeMount | string)[];
  deploy?: { resources?: Dict };
  [key: string]: unknown;
}

interface VolumeMount {
  type?: string;
  source?: string;
  target?: string;
  read_only?: boolean;
  /** Compose-only options (`bind.create_host_path`, `volume: {}`): not in a stack file. */
  bind?: unknown;
  volume?: unknown;
}

/** A mount in long syntax: `data:/var/lib/x` is a named volume, `/host:/x:ro` a read-only bind. */
export function longMount(mount: VolumeMount | string): VolumeMount {
  if (typeof mount !== "string") return mount;
  const [source, target, mode] = mount.split(":");
  if (target === undefined) return { type: "volume", target: source! };
  const bind = source!.startsWith("/") || source!.startsWith(".");
  return {
    type: bind ? "bind" : "volume",
    source: source!,
    target,
    ...(mode?.split(",").includes("ro") ? { read_only: true } : {}),
  };
}

/** The merged compose model, as `docker compose config --format json` prints it. */
export interface MergedCompose {
  services?: Record<string, ComposeService>;
  volumes?: Record<string, { driver_opts?: Record<string, string> } | null>;
  secrets?: Record<string, { file?: string } | null>;
  networks?: Record<string, unknown>;
}

/** What the stack file is rendered from besides the compose model. */
export interface StackInputs {
  /** Replicas of each service now (0: stopped). */
  replicas: Record<string, number>;
  /** Secret name (as the compose files call it) → short digest of its content. */
  secretDigests: Record<string, string>;
  stack: string;
}

/** Keys of a compose service a swarm stack takes as they are (build, depends_on, restart... are compose-only). */
const passedThrough = [
  "image",
  "command",
  "entrypoint",
  "environment",
  "healthcheck",
  "stop_signal",
  "stop_grace_period",
  "user",
  "working_dir",
  "tmpfs",
  "read_only",
  "cap_add",
  "cap_drop",
  "ulimits",
  "labels",
  "logging",
  "init",
  "hostname",
];

/** The stateful services of a model: those mounting a named volume (their data). */
export function statefulServicesOf(model: MergedCompose): string[] {
  return Object.entries(model.services ?? {}).filter(([, s]) =>
    (s.volumes ?? []).map(longMount).some((v) => v.type === "volume" && v.source)
  ).map(([name]) => name).sort();
}

/** The images a service of the model runs. */
export function imagesOf(model: MergedCompose, services: readonly string[]): string[] {
  return [
    ...new Set(
      services.flatMap((s) => model.services?.[s]?.image ? [model.services[s]!.image!] : []),
    ),
  ];
}

/**
 * Renders the swarm stack file of an environment from its merged compose model
 * (the same per-service files and override as compose, `include` flattened):
 * compose-only keys dropped (build, depends_on, restart: the graph orders
 * starts, swarm restarts), each service on the overlay network with
 * `endpoint_mode: dnsrr` (no IPVS needed), its port published in host mode on
 * the node that runs it (one replica per node), stateful services pinned to
 * the node labelled `hailmary.<service>=true`, the rest replicated, rolling
 * updates gated by the health check with automatic rollback, and secrets
 * named after their content (swarm secrets cannot change in place).
 */
export function renderSwarmStack(
  environment: Environment,
  model: MergedCompose,
  inputs: StackInputs,
): Dict {
  const stateful = new Set(statefulServicesOf(model));
  const services: Dict = {};
  const usedVolumes = new Set<string>();
  const usedSecrets = new Set<string>();
  for (const configured of environment.services) {
    const name = configured.definition.name;
    const source = model.services?.[name];
    if (!source) continue;
    const out: Dict = {};
    for (const key of passedThrough) {
      if (source[key] !== undefined && source[key] !== null) out[key] = source[key];
    }
    out.networks = ["hailmary"];
    const volumes = (source.volumes ?? []).map(longMount).map((v) => {
      if (v.type === "volume" && v.source) usedVolumes.add(v.source);
      return {
        type: v.type,
        ...(v.source ? { source: v.source } : {}),
        target: v.target,
        ...(v.read_only ? { read_only: true } : {}),
      };
    });
    if (volumes.length) out.volumes = volumes;
    const secrets = (source.secrets as ({ source?: string } | string)[] | undefined) ?? [];
    if (secrets.length) {
      out.secrets = secrets.map((s) => typeof s === "string" ? s : s.source);
      for (const s of out.secrets as string[]) usedSecrets.add(s);
    }
    const port = configured.port;
    const publishes = port !== undefined;
    if (publishes) {
      out.ports = [{ target: port, published: port, protocol: "tcp", mode: "host" }];
    }
    const pinned = stateful.has(name);
    out.deploy = {
      mode: "replicated",
      replicas: inputs.replicas[name] ?? 0,
      endpoint_mode: "dnsrr",
      ...(source.deploy?.resources ? { resources: stackResources(source.deploy.resources) } : {}),
      placement: {
        ...(pinned ? { constraints: [placementConstraint(name)] } : {}),
        // a host-mode port can be bound once per node
        ...(publishes ? { max_replicas_per_node: 1 } : {}),
      },
      restart_policy: { condition: "any", delay: "2s" },
      update_config: {
        parallelism: 1,
        delay: "2s",
        // a pinned service or a host port cannot have the old and the new task side by side
        order: pinned || publishes ? "stop-first" : "start-first",
        failure_action: "rollback",
        monitor: "15s",
      },
      rollback_config: { parallelism: 1, order: "stop-first", failure_action: "pause" },
    };
    services[name] = out;
  }
  const volumes: Dict = {};
  for (const name of usedVolumes) {
    const spec = model.volumes?.[name];
    volumes[name] = spec?.driver_opts ? { driver_opts: spec.driver_opts } : {};
  }
  const secrets: Dict = {};
  for (const name of usedSecrets) {
    const file = model.secrets?.[name]?.file;
    if (!file) continue;
    const digest = inputs.secretDigests[name] ?? "0";
    secrets[name] = { file, name: `${inputs.stack}_${name}_${digest}` };
  }
  return {
    version: "3.9",
    services,
    networks: { hailmary: { driver: "overlay" } },
    ...(Object.keys(volumes).length ? { volumes } : {}),
    ...(Object.keys(secrets).length ? { secrets } : {}),
  };
}

/** Resource limits as a version 3 stack file writes them: `cpus` and `memory` are strings there. */
function stackResources(resources: Dict): Dict {
  const out: Dict = {};
  for (const [kind, values] of Object.entries(resources)) {
    if (values === null || typeof values !== "object") continue;
    const limits: Dict = {};
    for (const [key, value] of Object.entries(values as Dict)) {
      if (key === "cpus" || key === "memory") limits[key] = String(value);
    }
    out[kind] = limits;
  }
  return out;
}

/** What the swarm runtime keeps for an environment's stack: desired replicas, the rendered file. */
export function swarmStateDir(environment: Environment): string {
  return join(environment.stateDir, "swarm");
}
