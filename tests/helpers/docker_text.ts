/**
 * Runs `docker <args>` on this host (stdin written when given) and returns its
 * stdout, trimmed; fails with stderr on a non-zero exit.
 */
export async function dockerText(args: string[], stdin?: string): Promise<string> {
  const child = new Deno.Command("docker", {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  if (code !== 0) {
    throw new Error(`docker ${args.join(" ")} exited ${code}: ${new TextDecoder().decode(stderr)}`);
  }
  return new TextDecoder().decode(stdout).trim();
}
