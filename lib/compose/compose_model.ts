/** A published port: `host_ip:published:target`. */
export interface PortMapping {
  hostIp: string | null;
  /** Host port (or range); null when only the container port is given (not published). */
  published: string | null;
  target: string;
}

/** A mount of a service: a named volume, a bind of a host folder, a tmpfs. */
export interface MountSpec {
  type: string;
  source: string | null;
  target: string;
}

/** The parts of a compose service the invariants look at, normalised from short or long syntax. */
export interface ComposeServiceModel {
  healthcheck: { test: string[]; disabled: boolean } | null;
  ports: PortMapping[];
  /** Dependency → condition (`service_started` when none was written). */
  dependsOn: Record<string, string>;
  environment: Record<string, string | null>;
  mounts: MountSpec[];
  /** Every string value of the service, with its key path, for the inline-secret search. */
  strings: { path: string; value: string }[];
}

/** A merged, interpolated compose model (from `docker compose config` or the built-in renderer). */
export interface ComposeModel {
  services: Record<string, ComposeServiceModel>;
  /** Named volumes. */
  volumes: Record<string, Record<string, unknown>>;
  /** Top-level secrets: where each value comes from. */
  secrets: Record<string, { environment?: string; file?: string }>;
}

type Dict = Record<string, unknown>;

function isDict(value: unknown): value is Dict {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function parsePort(entry: unknown): PortMapping | undefined {
  if (typeof entry === "number") return { hostIp: null, published: null, target: String(entry) };
  if (typeof entry === "string") {
    const spec = entry.replace(/\/(tcp|udp|sctp)$/, "");
    const bracket = /^\[([^\]]+)\]:(.*)$/.exec(spec);
    const [ip, rest] = bracket ? [bracket[1]!, bracket[2]!] : [null, spec];
    const parts = rest.split(":");
    if (parts.length >= 3 && ip === null) {
      return {
        hostIp: parts.slice(0, -2).join(":"),
        published: parts.at(-2) || null,
        target: parts.at(-1)!,
      };
    }
    if (parts.length === 2) return { hostIp: ip, published: parts[0] || null, target: parts[1]! };
    return { hostIp: ip, published: null, target: parts[0]! };
  }
  if (isDict(entry) && entry.target !== undefined) {
    const published = entry.published === undefined || entry.published === null ||
        entry.published === ""
      ? null
      : String(entry.published);
    return {
      hostIp: typeof entry.host_ip === "string" && entry.host_ip ? entry.host_ip : null,
      published,
      target: String(entry.target),
    };
  }
  return undefined;
}

function parseMount(entry: unknown): MountSpec | undefined {
  if (typeof entry === "string") {
    const parts = entry.split(":");
    if (parts.length === 1) return { type: "volume", source: null, target: parts[0]! };
    const source = parts[0]!;
    const bind = /^[./~]/.test(source);
    return { type: bind ? "bind" : "volume", source, target: parts[1]! };
  }
  if (isDict(entry) && typeof entry.target === "string") {
    return {
      type: typeof entry.type === "string" ? entry.type : "volume",
      source: typeof entry.source === "string" ? entry.source : null,
      target: entry.target,
    };
  }
  return undefined;
}

function parseDependsOn(value: unknown): Record<string, string> {
  if (Array.isArray(value)) {
    return Object.fromEntries(value.map((name) => [String(name), "service_started"]));
  }
  if (!isDict(value)) return {};
  return Object.fromEntries(
    Object.entries(value).map(([name, spec]) => [
      name,
      isDict(spec) && typeof spec.condition === "string" ? spec.condition : "service_started",
    ]),
  );
}

function parseEnvironment(value: unknown): Record<string, string | null> {
  if (Array.isArray(value)) {
    return Object.fromEntries(value.map((item) => {
      const text = String(item);
      const eq = text.indexOf("=");
      return eq < 0 ? [text, null] : [text.slice(0, eq), text.slice(eq + 1)];
    }));
  }
  if (!isDict(value)) return {};
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, v === null || v === undefined ? null : String(v)]),
  );
}

function parseHealthcheck(value: unknown): ComposeServiceModel["healthcheck"] {
  if (!isDict(value)) return null;
  const test = typeof value.test === "string"
    ? ["CMD-SHELL", value.test]
    : Array.isArray(value.test)
    ? value.test.map(String)
    : [];
  return { test, disabled: value.disable === true || test[0] === "NONE" || test.length === 0 };
}

function strings(value: unknown, path: string, out: { path: string; value: string }[]): void {
  if (typeof value === "string") out.push({ path, value });
  else if (Array.isArray(value)) value.forEach((v, i) => strings(v, `${path}[${i}]`, out));
  else if (isDict(value)) {
    for (const [k, v] of Object.entries(value)) strings(v, path ? `${path}.${k}` : k, out);
  }
}

/** Normalises one raw service definition (short or long syntax). */
export function normaliseService(raw: Dict): ComposeServiceModel {
  const found: { path: string; value: string }[] = [];
  strings(raw, "", found);
  const mounts = Array.isArray(raw.volumes) ? raw.volumes.map(parseMount) : [];
  const byTarget = new Map<string, MountSpec>();
  for (const m of mounts) if (m) byTarget.set(m.target, m);
  return {
    healthcheck: parseHealthcheck(raw.healthcheck),
    ports: (Array.isArray(raw.ports) ? raw.ports : []).flatMap((p) => parsePort(p) ?? []),
    dependsOn: parseDependsOn(raw.depends_on),
    environment: parseEnvironment(raw.environment),
    mounts: [...byTarget.values()],
    strings: found,
  };
}

/** Normalises a raw model: the JSON of `docker compose config` or the built-in merge. */
export function normaliseModel(raw: unknown): ComposeModel {
  const top = isDict(raw) ? raw : {};
  const services = isDict(top.services) ? top.services : {};
  const secrets = isDict(top.secrets) ? top.secrets : {};
  return {
    services: Object.fromEntries(
      Object.entries(services).map(([name, s]) => [name, normaliseService(isDict(s) ? s : {})]),
    ),
    volumes: Object.fromEntries(
      Object.entries(isDict(top.volumes) ? top.volumes : {}).map((
        [k, v],
      ) => [k, isDict(v) ? v : {}]),
    ),
    secrets: Object.fromEntries(
      Object.entries(secrets).map(([k, v]) => {
        const spec: { environment?: string; file?: string } = {};
        if (isDict(v) && typeof v.environment === "string") spec.environment = v.environment;
        if (isDict(v) && typeof v.file === "string") spec.file = v.file;
        return [k, spec];
      }),
    ),
  };
}

/** True when a service keeps state: it mounts a named volume (its data). */
export function isStateful(service: ComposeServiceModel): boolean {
  return service.mounts.some((m) => m.type === "volume" && m.source !== null);
}
