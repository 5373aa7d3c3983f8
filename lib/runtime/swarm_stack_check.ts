import type { Environment } from "../config/mod.ts";
import { type MergedCompose, renderSwarmStack, statefulServicesOf } from "./swarm_stack.ts";

/** A problem of an environment's swarm model, as config:validate reports it. */
export interface SwarmViolation {
  rule:
    | "swarm-replicas"
    | "swarm-stateful-replicas"
    | "swarm-image"
    | "swarm-placement"
    | "swarm-stack";
  service: string | null;
  message: string;
}

/**
 * Checks what the swarm runtime would deploy for an environment: every
 * service runs an image (a swarm cannot build), a stateful service is not
 * replicated (`swarm.replicas`: a second task would be a second server on
 * the same data) and is pinned by a placement constraint, `swarm.replicas`
 * names only services of the environment, and, where `stackConfig` is given,
 * Docker's own stack loader accepts the rendered file.
 */
export async function swarmViolations(
  environment: Environment,
  model: MergedCompose,
  stackConfig?: (stack: Record<string, unknown>) => Promise<string | null>,
): Promise<SwarmViolation[]> {
  const violations: SwarmViolation[] = [];
  const names = new Set(environment.services.map((s) => s.definition.name));
  const stateful = new Set(statefulServicesOf(model));
  for (const [service, replicas] of Object.entries(environment.swarm?.replicas ?? {})) {
    if (!names.has(service)) {
      violations.push({
        rule: "swarm-replicas",
        service,
        message: `swarm.replicas names ${
          JSON.stringify(service)
        }, which the environment does not run`,
      });
    } else if (stateful.has(service) && replicas > 1) {
      violations.push({
        rule: "swarm-stateful-replicas",
        service,
        message:
          `${service} keeps its data in a volume: one replica, pinned to its labelled node (swarm.replicas.${service}: ${replicas})`,
      });
    }
  }
  for (const service of names) {
    if (!model.services?.[service]) continue;
    if (!model.services[service]!.image) {
      violations.push({
        rule: "swarm-image",
        service,
        message: "has no image: a swarm runs images, it does not build them",
      });
    }
  }
  const replicas = Object.fromEntries([...names].map((n) => [n, 1]));
  const stack = renderSwarmStack(environment, model, {
    replicas,
    secretDigests: {},
    stack: environment.swarm?.stack ?? `hailmary-${environment.name}`,
  });
  const services = stack.services as Record<
    string,
    { deploy?: { placement?: { constraints?: string[] } } }
  >;
  for (const service of stateful) {
    if (!services[service]?.deploy?.placement?.constraints?.length) {
      violations.push({
        rule: "swarm-placement",
        service,
        message: "a stateful service must be pinned to a node (placement constraint)",
      });
    }
  }
  if (stackConfig) {
    const problem = await stackConfig(stack);
    if (problem) {
      violations.push({
        rule: "swarm-stack",
        service: null,
        message: `docker stack config refuses the rendered stack file: ${problem}`,
      });
    }
  }
  return violations;
}
