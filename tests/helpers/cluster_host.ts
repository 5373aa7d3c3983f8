/** What the local cluster tests read of this host: program output and free subnets. */

/** The stdout of a host program run to completion (stderr dropped). */
export function hostText(argv: string[]): string {
  const out = new Deno.Command(argv[0]!, { args: argv.slice(1), stdout: "piped", stderr: "null" })
    .outputSync();
  return new TextDecoder().decode(out.stdout);
}

/**
 * A 192.168.x.0/24 no link of this host routes yet, trying x from `first`
 * toward `last` (tests that run at once search from opposite ends).
 */
export function freeSubnet(first = 220, last = 249): string {
  const step = first <= last ? 1 : -1;
  for (let third = first; third !== last + step; third += step) {
    const routed = hostText(["ip", "-o", "route", "show", "match", `192.168.${third}.1/32`]);
    if (!routed.split("\n").some((l) => l.trim() && !l.startsWith("default"))) {
      return `192.168.${third}.0/24`;
    }
  }
  throw new Error("no free 192.168.x.0/24 for the test cluster");
}
