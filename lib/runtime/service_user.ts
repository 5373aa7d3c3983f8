import { FailedError } from "../errors.ts";

/** The unprivileged account services run as when the runtime is root. */
export interface ServiceUser {
  name: string;
  uid: number;
  gid: number;
}

/**
 * The service user when running as root, or undefined when not root (the
 * services then simply run as the current user).
 * @throws {FailedError} when running as root and the account does not exist.
 */
export async function serviceUser(name: string): Promise<ServiceUser | undefined> {
  if (Deno.uid() !== 0) return undefined;
  const passwd = await Deno.readTextFile("/etc/passwd");
  for (const line of passwd.split("\n")) {
    const [user, , uid, gid] = line.split(":");
    if (user === name) return { name, uid: Number(uid), gid: Number(gid) };
  }
  throw new FailedError(
    `the service user ${
      JSON.stringify(name)
    } does not exist: PostgreSQL and OpenSearch refuse to run as root`,
    { hint: "run ./ops setup, which creates it" },
  );
}

/** The command prefix that runs a program as `user` (setpriv), or nothing when there is no user to switch to. */
export function asUser(user: ServiceUser | undefined): string[] {
  return user
    ? ["setpriv", `--reuid=${user.uid}`, `--regid=${user.gid}`, "--clear-groups", "--"]
    : [];
}
