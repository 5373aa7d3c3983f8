// Shared by the benchmarks that time `./ops` against a private native stack of all five services.
import { join } from "node:path";
import { stringify } from "yaml";

/** A loopback port nothing listens on right now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** The median of a list of timings. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/**
 * Writes the environment file of a private native stack of all five services
 * on free ports, state and backups under `benchDir`; a file already there (a
 * kept stack) is reused as it is. Returns whether it was reused.
 * @param extra more top-level settings of the environment (schedules...).
 */
export async function writePrivateStack(
  envFile: string,
  benchDir: string,
  name: string,
  extra: Record<string, unknown> = {},
): Promise<boolean> {
  try {
    await Deno.stat(envFile);
    return true;
  } catch {
    await Deno.mkdir(benchDir, { recursive: true, mode: 0o755 });
    await Deno.chmod(benchDir, 0o755);
    await Deno.writeTextFile(
      envFile,
      stringify({
        name,
        runtime: "native",
        stateDir: join(benchDir, "state"),
        backupDir: join(benchDir, "backups"),
        services: {
          postgres: { port: freePort(), sharedBuffers: "64MB" },
          redis: { port: freePort() },
          opensearch: { port: freePort(), transportPort: freePort(), heap: "512m" },
          web: { port: freePort() },
          ingestor: { port: freePort() },
        },
        ...extra,
      }),
    );
    return false;
  }
}
