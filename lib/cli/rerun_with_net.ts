import { join } from "../path.ts";
import { projectRoot } from "../paths.ts";
import type { Environment } from "../config/mod.ts";

/** Set in the environment of a run started by {@link rerunWithNet}: it never starts another. */
const rerunMarker = "OPS_NET_RERUN";

/**
 * The `host:port` addresses of the environment's services that the runtime
 * moved off loopback (compose services without a published port) and that
 * this process may not connect to.
 */
export function deniedAddresses(environment: Environment): string[] {
  const denied: string[] = [];
  for (const service of environment.services) {
    if (!service.host || service.port === undefined) continue;
    const host = `${service.host}:${service.port}`;
    if (Deno.permissions.querySync({ name: "net", host }).state !== "granted") denied.push(host);
  }
  return denied;
}

/**
 * Runs this command again with the named permission set of deno.json plus
 * network access to exactly `hosts` (Deno has no address ranges, and a
 * container's address is known only once it runs), and exits with its code.
 * The permission sets stay loopback-only for every other run. Returns (the
 * caller goes on, and its connections fail with Deno's message) when this
 * already is such a run, the set may not start processes, or it lists no hosts.
 */
export async function rerunWithNet(hosts: string[], permissionSet: string): Promise<void> {
  if (Deno.env.get(rerunMarker) === "1") return;
  if (Deno.permissions.querySync({ name: "run", command: Deno.execPath() }).state !== "granted") {
    return;
  }
  const config = JSON.parse(await Deno.readTextFile(join(projectRoot, "deno.json"))) as {
    permissions?: Record<string, { net?: string[] | boolean }>;
  };
  const net = config.permissions?.[permissionSet]?.net;
  if (!Array.isArray(net)) return;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-q",
      `-P=${permissionSet}`,
      `--allow-net=${[...net, ...hosts].join(",")}`,
      new URL(Deno.mainModule).pathname,
      ...Deno.args,
    ],
    cwd: projectRoot,
    env: { [rerunMarker]: "1" },
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  // the terminal's Ctrl-C reaches the child too (same process group): this process must not
  // die of it first, the child decides the exit
  Deno.addSignalListener("SIGINT", () => {});
  const { code } = await child.status;
  Deno.exit(code);
}
