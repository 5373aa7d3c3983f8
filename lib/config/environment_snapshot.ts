import { join } from "../posix_path.ts";
import { projectRoot, servicesDir } from "../project_paths.ts";
import type { ProbeSpec } from "../probes/probe_spec.ts";
import type { AnyServiceDefinition, DependencyCondition } from "../service/define_service.ts";
import { serviceContext } from "../service/service_context.ts";
import { serviceFolderNames } from "../service/service_folders.ts";
import type { ComposeSection, RuntimeKind, SwarmSection } from "./environment_schema.ts";
import type { ConfiguredService, Environment } from "./environment.ts";
import { resolveSecret } from "./secrets.ts";
import { secretRefPattern } from "./secret_pattern.ts";
import type { Notifications, Schedule } from "../schedule/schedule_schema.ts";

/**
 * A validated environment saved as plain JSON (secret references, never
 * values), so `status` and `health` can skip YAML parsing, schema validation
 * and importing every service definition. It is keyed by a fingerprint of the
 * environment file's text and of every `services/<name>/service.ts` (size and
 * modification time): any change makes it stale and the full path runs again.
 */
interface Snapshot {
  version: 3;
  fingerprint: string;
  name: string;
  runtime: RuntimeKind;
  protected: boolean;
  stateDir: string;
  backupDir: string;
  serviceUser: string;
  compose?: ComposeSection;
  swarm?: SwarmSection;
  schedules?: Schedule[];
  notifications?: Notifications;
  services: {
    name: string;
    description: string;
    dependsOn: Record<string, DependencyCondition>;
    capabilities: string[];
    settings: Record<string, unknown>;
    port: number | undefined;
    stateDir: string;
    probe: ProbeSpec;
    /** What the definition's `composeVariables` gave when the snapshot was saved. */
    composeVariables?: Record<string, string>;
  }[];
}

const snapshotDir = join(projectRoot, ".ops", "snapshots");

/** FNV-1a (64-bit): a fast, dependency-free fingerprint, not a security hash. */
function fnv1a(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, "0");
}

async function fingerprint(fileText: string): Promise<string> {
  const parts = [fileText];
  for (const name of serviceFolderNames(servicesDir)) {
    try {
      const info = await Deno.stat(join(servicesDir, name, "service.ts"));
      parts.push(`${name}:${info.size}:${info.mtime?.getTime()}`);
    } catch {
      // removed since the scan: the fingerprint changes all the same
    }
  }
  return fnv1a(parts.join("\n"));
}

function snapshotFile(file: string): string {
  return join(snapshotDir, `${fnv1a(file)}.json`);
}

/** Saves a snapshot of a freshly validated environment; silently skipped when not writable or a probe is not data. */
export async function saveSnapshot(environment: Environment, fileText: string): Promise<void> {
  try {
    const services: Snapshot["services"] = [];
    for (const s of environment.services) {
      const context = serviceContext(environment, s);
      const probe = s.definition.probe(context);
      if (typeof probe === "function") return;
      const composeVariables = s.definition.composeVariables?.(context);
      services.push({
        name: s.definition.name,
        description: s.definition.description,
        dependsOn: s.definition.dependsOn,
        capabilities: s.definition.capabilities,
        settings: s.settings,
        port: s.port,
        stateDir: s.stateDir,
        probe,
        ...(composeVariables ? { composeVariables } : {}),
      });
    }
    const snapshot: Snapshot = {
      version: 3,
      fingerprint: await fingerprint(fileText),
      name: environment.name,
      runtime: environment.runtime,
      protected: environment.protected,
      stateDir: environment.stateDir,
      backupDir: environment.backupDir,
      serviceUser: environment.serviceUser,
      ...(environment.compose ? { compose: environment.compose } : {}),
      ...(environment.swarm ? { swarm: environment.swarm } : {}),
      ...(environment.schedules ? { schedules: environment.schedules } : {}),
      ...(environment.notifications ? { notifications: environment.notifications } : {}),
      services,
    };
    await Deno.mkdir(snapshotDir, { recursive: true });
    const target = snapshotFile(environment.file);
    await Deno.writeTextFile(`${target}.${Deno.pid}.tmp`, JSON.stringify(snapshot));
    await Deno.rename(`${target}.${Deno.pid}.tmp`, target);
  } catch {
    // a snapshot is only a shortcut: without write permission the full path keeps working
  }
}

/** The environment from its snapshot when the snapshot is current, else undefined. */
export async function loadSnapshot(
  file: string,
  fileText: string,
): Promise<Environment | undefined> {
  let snapshot: Snapshot;
  try {
    snapshot = JSON.parse(await Deno.readTextFile(snapshotFile(file))) as Snapshot;
  } catch {
    return undefined;
  }
  if (snapshot.version !== 3 || snapshot.fingerprint !== await fingerprint(fileText)) {
    return undefined;
  }
  const secretsDir = join(snapshot.stateDir, "secrets");
  const services: ConfiguredService[] = [];
  for (const s of snapshot.services) {
    const secrets: Record<string, string | undefined> = {};
    for (const [key, value] of Object.entries(s.settings)) {
      if (typeof value === "string" && secretRefPattern.test(value)) {
        secrets[key] = await resolveSecret(value, {
          secretsDir,
          where: `${file} services.${s.name}.${key}`,
          generated: "read",
        });
      }
    }
    services.push({
      definition: snapshotDefinition(s),
      settings: s.settings,
      secrets,
      port: s.port,
      stateDir: s.stateDir,
    });
  }
  return {
    name: snapshot.name,
    file,
    runtime: snapshot.runtime,
    protected: snapshot.protected,
    stateDir: snapshot.stateDir,
    backupDir: snapshot.backupDir,
    serviceUser: snapshot.serviceUser,
    ...(snapshot.compose ? { compose: snapshot.compose } : {}),
    ...(snapshot.swarm ? { swarm: snapshot.swarm } : {}),
    ...(snapshot.schedules ? { schedules: snapshot.schedules } : {}),
    ...(snapshot.notifications ? { notifications: snapshot.notifications } : {}),
    services,
  };
}

/** A definition good for observing (name, graph, probe); it cannot launch anything. */
function snapshotDefinition(s: Snapshot["services"][number]): AnyServiceDefinition {
  return {
    name: s.name,
    description: s.description,
    dependsOn: s.dependsOn,
    capabilities: s.capabilities,
    settings: undefined as never,
    port: () => s.port,
    probe: () => s.probe,
    ...(s.composeVariables ? { composeVariables: () => s.composeVariables! } : {}),
    native: () => {
      throw new Error(
        `service ${s.name} was loaded from a snapshot for observation and cannot be launched`,
      );
    },
  };
}
