import { join } from "../posix_path.ts";

/** Paths of the PostgreSQL state under its state folder. */
export function postgresPaths(stateDir: string): { data: string; socket: string; conf: string } {
  return {
    data: join(stateDir, "data"),
    socket: join(stateDir, "socket"),
    conf: join(stateDir, "conf"),
  };
}
