import { join } from "../posix_path.ts";

/** Paths of the Redis state under its state folder. */
export function redisPaths(stateDir: string): { data: string; conf: string } {
  return { data: join(stateDir, "data"), conf: join(stateDir, "conf", "redis.conf") };
}
