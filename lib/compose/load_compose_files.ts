import { dirname, isAbsolute, relative, resolve } from "../posix_path.ts";
import { interpolateTree } from "./interpolate.ts";

type Dict = Record<string, unknown>;

function isDict(value: unknown): value is Dict {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A problem with the compose files themselves (syntax, a missing file, a conflict). */
export class ComposeFileError extends Error {
  constructor(readonly file: string, message: string, readonly line?: number) {
    super(message);
  }
}

/** Where a service (or one of its keys) is written: file and 1-based line. */
export interface ComposeOrigin {
  file: string;
  line: number;
}

/** Finds where services are defined, for messages that name file and line. */
export interface ComposeOrigins {
  /** The last file that writes `services.<service>.<key...>` (else where the service is defined). */
  of(service: string, key?: readonly string[]): ComposeOrigin | undefined;
}

interface ParsedFile {
  file: string;
  value: Dict;
  lineOf(path: readonly string[]): number | undefined;
}

/** What the built-in renderer produces: the merged raw model and where each part came from. */
export interface LoadedCompose {
  raw: Dict;
  origins: ComposeOrigins;
  files: string[];
}

async function parseFile(file: string, shown: string): Promise<ParsedFile> {
  const { LineCounter, isMap, parseDocument } = await import("yaml");
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch {
    throw new ComposeFileError(shown, `${shown} cannot be read`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: false });
  const first = doc.errors[0];
  if (first) {
    const line = lineCounter.linePos(first.pos[0]).line;
    throw new ComposeFileError(shown, `invalid YAML: ${first.message.split("\n")[0]}`, line);
  }
  const value = doc.toJS({ maxAliasCount: 1000 }) as unknown;
  return {
    file: shown,
    value: isDict(value) ? value : {},
    lineOf(path) {
      let node: unknown = doc.contents;
      let offset: number | undefined;
      for (const key of path) {
        if (!isMap(node)) return undefined;
        const pair = node.items.find((p) =>
          String((p.key as { value?: unknown } | null)?.value ?? p.key) === key
        );
        if (!pair) return undefined;
        offset = (pair.key as { range?: [number, number, number] } | null)?.range?.[0];
        node = pair.value;
      }
      return offset === undefined ? undefined : lineCounter.linePos(offset).line;
    },
  };
}

/** Makes the relative paths of a file's services absolute against `dir` (build contexts, bind sources, secret files). */
function resolvePaths(model: Dict, dir: string): void {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(dir, p));
  for (const service of Object.values(isDict(model.services) ? model.services : {})) {
    if (!isDict(service)) continue;
    if (typeof service.build === "string") service.build = abs(service.build);
    else if (isDict(service.build) && typeof service.build.context === "string") {
      service.build.context = abs(service.build.context);
    }
    if (Array.isArray(service.volumes)) {
      service.volumes = service.volumes.map((v) => {
        if (typeof v === "string" && /^\.{1,2}(\/|:)/.test(v)) {
          const colon = v.indexOf(":");
          return abs(v.slice(0, colon)) + v.slice(colon);
        }
        if (isDict(v) && v.type === "bind" && typeof v.source === "string") {
          return { ...v, source: abs(v.source) };
        }
        return v;
      });
    }
  }
  for (const secret of Object.values(isDict(model.secrets) ? model.secrets : {})) {
    if (isDict(secret) && typeof secret.file === "string") secret.file = abs(secret.file);
  }
}

const replacedLists = new Set(["command", "entrypoint", "test"]);

/** Compose's merge of a later file over an earlier one: maps merge, lists add up (command, entrypoint and test replace). */
export function mergeCompose(base: unknown, over: unknown, key = ""): unknown {
  if (isDict(base) && isDict(over)) {
    const out: Dict = { ...base };
    for (const [k, v] of Object.entries(over)) {
      out[k] = k in base ? mergeCompose(base[k], v, k) : v;
    }
    return out;
  }
  if (Array.isArray(base) && Array.isArray(over) && !replacedLists.has(key)) {
    const seen = new Set(base.map((v) => JSON.stringify(v)));
    return [...base, ...over.filter((v) => !seen.has(JSON.stringify(v)))];
  }
  return over;
}

/**
 * Renders compose files without Docker: each file is parsed (YAML merge keys
 * allowed), interpolated with `variables`, its `include`s loaded as models of
 * their own (paths relative to the included file) and imported (a service
 * defined twice is a conflict, as in Compose), then the files are merged in
 * order, later over earlier.
 * @throws {ComposeFileError} naming the file (and line) that cannot be used.
 * @throws {MissingVariableError} for a required variable without a value.
 */
export async function loadComposeFiles(
  files: readonly string[],
  projectDir: string,
  variables: Record<string, string | undefined>,
): Promise<LoadedCompose> {
  const parsed: ParsedFile[] = [];
  const show = (file: string) => {
    const rel = relative(projectDir, file);
    return rel.startsWith("..") ? file : rel;
  };

  const load = async (file: string, dir: string, chain: string[]): Promise<Dict> => {
    if (chain.includes(file)) {
      throw new ComposeFileError(
        show(file),
        `include cycle: ${[...chain, file].map(show).join(" -> ")}`,
      );
    }
    const source = await parseFile(file, show(file));
    parsed.push(source);
    const model = interpolateTree(source.value, variables) as Dict;
    const includes = model.include;
    delete model.include;
    resolvePaths(model, dir);
    for (const entry of Array.isArray(includes) ? includes : []) {
      const paths = typeof entry === "string"
        ? [entry]
        : isDict(entry)
        ? (Array.isArray(entry.path) ? entry.path.map(String) : [String(entry.path)])
        : [];
      for (const path of paths) {
        const target = isAbsolute(path) ? path : resolve(dir, path);
        const imported = await load(target, dirname(target), [...chain, file]);
        for (const kind of ["services", "volumes", "networks", "secrets", "configs"]) {
          const from = isDict(imported[kind]) ? imported[kind] : {};
          const into: Dict = isDict(model[kind]) ? model[kind] : {};
          for (const [name, definition] of Object.entries(from)) {
            if (name in into && JSON.stringify(into[name]) !== JSON.stringify(definition)) {
              throw new ComposeFileError(
                show(file),
                `${kind}.${name} conflicts with imported resource from ${show(target)}`,
                source.lineOf([kind, name]),
              );
            }
            into[name] = definition;
          }
          if (Object.keys(into).length) model[kind] = into;
        }
      }
    }
    return model;
  };

  let merged: Dict = {};
  for (const file of files) {
    merged = mergeCompose(merged, await load(file, projectDir, [])) as Dict;
  }
  for (const key of Object.keys(merged)) if (key.startsWith("x-")) delete merged[key];

  const origins: ComposeOrigins = {
    of(service, key = []) {
      for (const depth of [key.length, 0]) {
        for (const source of [...parsed].reverse()) {
          const line = source.lineOf(["services", service, ...key.slice(0, depth)]);
          if (line !== undefined) return { file: source.file, line };
        }
      }
      return undefined;
    },
  };
  return { raw: merged, origins, files: parsed.map((p) => p.file) };
}

/** Reads `KEY=VALUE` lines of an env file (comments and blank lines skipped, quotes removed). */
export async function readEnvFile(file: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const line of (await Deno.readTextFile(file)).split("\n")) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || line.trim().startsWith("#")) continue;
    out[m[1]!] = m[2]!.replace(/^(['"])(.*)\1$/, "$2");
  }
  return out;
}
