import { join } from "../posix_path.ts";
import { FailedError } from "../errors.ts";
import { projectRoot } from "../project_paths.ts";

/** Folder of the PostgreSQL server binaries (the newest of /usr/lib/postgresql/N/bin, or PG_BINDIR). */
export function findPostgresBinDir(): string {
  const fromEnv = Deno.env.get("PG_BINDIR");
  if (fromEnv) return fromEnv;
  const versions: number[] = [];
  try {
    for (const entry of Deno.readDirSync("/usr/lib/postgresql")) {
      if (/^\d+$/.test(entry.name)) versions.push(Number(entry.name));
    }
  } catch {
    // not installed
  }
  for (const v of versions.sort((a, b) => b - a)) {
    const dir = `/usr/lib/postgresql/${v}/bin`;
    try {
      Deno.statSync(join(dir, "postgres"));
      return dir;
    } catch {
      continue;
    }
  }
  throw new FailedError("PostgreSQL server binaries were not found under /usr/lib/postgresql", {
    hint: "run ./ops setup",
  });
}

/**
 * A PostgreSQL client program by the path of the host's newest version, or by
 * its bare name when the host has none: the compose runtime runs it in the
 * service's container (from its PATH), where a host needs no PostgreSQL.
 */
export function postgresProgram(program: string): string {
  try {
    return join(findPostgresBinDir(), program);
  } catch {
    return program;
  }
}

/** A Java home able to run OpenSearch 2.x (Java 17 or newer, 17 preferred), or JAVA_HOME. */
export function findJavaHome(): string {
  const fromEnv = Deno.env.get("OPENSEARCH_JAVA_HOME") ?? Deno.env.get("JAVA_HOME");
  if (fromEnv) return fromEnv;
  const found: string[] = [];
  try {
    for (const entry of Deno.readDirSync("/usr/lib/jvm")) {
      if (/^java-(1[7-9]|2\d)-openjdk/.test(entry.name)) found.push(entry.name);
    }
  } catch {
    // no JVMs
  }
  const best = found.sort()[0];
  if (!best) {
    throw new FailedError("no Java 17+ runtime was found under /usr/lib/jvm", {
      hint: "run ./ops setup (installs openjdk-17-jre-headless)",
    });
  }
  return join("/usr/lib/jvm", best);
}

/**
 * Where downloaded distributions live: `$OPS_CACHE_DIR`, else (as root)
 * /var/cache/hailmary-ops, which the service user can always reach, else
 * `.ops/cache` in the checkout.
 */
export function cacheDir(): string {
  const fromEnv = Deno.env.get("OPS_CACHE_DIR");
  if (fromEnv) return fromEnv;
  return Deno.uid() === 0 ? "/var/cache/hailmary-ops" : join(projectRoot, ".ops", "cache");
}

/** Where the OpenSearch minimal distribution of a version is unpacked. */
export function opensearchHome(version: string): string {
  return join(cacheDir(), `opensearch-${version}`);
}
