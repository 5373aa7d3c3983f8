import type { DependencyCondition } from "../service/define_service.ts";
import { type ComposeModel, isStateful } from "./compose_model.ts";
import type { ComposeOrigins } from "./load_compose_files.ts";

/** The invariants `config:validate` checks. */
export type ComposeRule =
  | "render"
  | "missing-service"
  | "healthcheck"
  | "published-port"
  | "inline-secret"
  | "depends-on"
  // the swarm model (runtime: swarm), see lib/runtime/swarm_stack_check.ts
  | "swarm-replicas"
  | "swarm-stateful-replicas"
  | "swarm-image"
  | "swarm-placement"
  | "swarm-stack";

/** One broken invariant, named with the file (and line) to fix. */
export interface ComposeViolation {
  rule: ComposeRule;
  service: string | null;
  file: string | null;
  line: number | null;
  message: string;
}

/** What the invariants need to know of the environment. */
export interface ComposeExpectations {
  /** Protected environments (production) publish no port of a stateful service. */
  protected: boolean;
  /** The environment's services and their dependencies (the service graph). */
  services: { name: string; dependsOn: Record<string, DependencyCondition> }[];
  /**
   * Marker values the secret variables were rendered with (variable → marker):
   * a marker found anywhere in a service means a secret value would sit inline.
   */
  secretMarkers: Record<string, string>;
}

const secretName = /PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL/i;

/**
 * Checks a rendered compose model: every service has a health check; a
 * protected environment publishes no port of a stateful service (one that
 * mounts a named volume: a database); no secret value is inline (a rendered
 * secret variable, or a literal value under a password-like name); every
 * dependency of the service graph is a `depends_on` with a health condition.
 */
export function composeViolations(
  model: ComposeModel,
  origins: ComposeOrigins,
  expect: ComposeExpectations,
): ComposeViolation[] {
  const out: ComposeViolation[] = [];
  const add = (
    rule: ComposeRule,
    service: string,
    key: readonly string[],
    message: string,
  ) => {
    const origin = origins.of(service, key);
    out.push({ rule, service, file: origin?.file ?? null, line: origin?.line ?? null, message });
  };

  for (const s of expect.services) {
    if (!model.services[s.name]) {
      out.push({
        rule: "missing-service",
        service: s.name,
        file: null,
        line: null,
        message: `${s.name} is configured in the environment but no compose file defines it`,
      });
    }
  }

  for (
    const [name, service] of Object.entries(model.services).sort(([a], [b]) => a.localeCompare(b))
  ) {
    if (!service.healthcheck || service.healthcheck.disabled) {
      add(
        "healthcheck",
        name,
        ["healthcheck"],
        `${name} has no health check: add healthcheck.test, or nothing can wait for it to be healthy`,
      );
    }

    if (expect.protected && isStateful(service)) {
      for (const port of service.ports.filter((p) => p.published !== null)) {
        const where = `${port.hostIp ? `${port.hostIp}:` : ""}${port.published}`;
        add(
          "published-port",
          name,
          ["ports"],
          `${name} keeps data and publishes port ${where} (container ${port.target}): a protected environment publishes no database port`,
        );
      }
    }

    const reported = new Set<string>();
    for (const { path, value } of service.strings) {
      for (const [variable, marker] of Object.entries(expect.secretMarkers)) {
        if (!value.includes(marker) || reported.has(path)) continue;
        reported.add(path);
        add(
          "inline-secret",
          name,
          path.split(".").map((p) => p.replace(/\[\d+\]$/, "")),
          `${name} puts the secret ${variable} inline at ${path}: declare a Docker secret (secrets: environment: ${variable}) and read /run/secrets/<name>`,
        );
      }
    }
    for (const [key, value] of Object.entries(service.environment)) {
      if (
        !secretName.test(key) || key.endsWith("_FILE") || !value ||
        reported.has(`environment.${key}`)
      ) {
        continue;
      }
      if (value.startsWith("/run/secrets/")) continue;
      add(
        "inline-secret",
        name,
        ["environment", key],
        `${name} sets ${key} to an inline value: pass it as a Docker secret instead`,
      );
    }
  }

  for (const s of expect.services) {
    const service = model.services[s.name];
    if (!service) continue;
    for (const [dep, condition] of Object.entries(s.dependsOn)) {
      const written = service.dependsOn[dep];
      const wanted = condition === "healthy" ? "service_healthy" : undefined;
      if (written === undefined) {
        add(
          "depends-on",
          s.name,
          ["depends_on"],
          `${s.name} depends on ${dep} (${condition}) in the service graph but has no depends_on ${dep}: add depends_on: {${dep}: {condition: service_healthy}}`,
        );
      } else if (wanted && written !== wanted) {
        add(
          "depends-on",
          s.name,
          ["depends_on", dep],
          `${s.name} depends on ${dep} with condition ${written}: the service graph needs ${dep} healthy (condition: service_healthy)`,
        );
      }
    }
  }
  return out;
}
