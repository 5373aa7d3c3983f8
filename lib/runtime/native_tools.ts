import { FailedError } from "../errors.ts";
import type { NativeTools } from "../service/define_service.ts";
import type { ServiceUser } from "./service_user.ts";

/** Tools for a service's prepare/initialise steps, dropping root to the service user where asked. */
export function nativeTools(user: ServiceUser | undefined): NativeTools {
  return {
    async run(argv, options = {}) {
      const asUser = options.asServiceUser ?? true;
      const prefix = user && asUser
        ? ["setpriv", `--reuid=${user.uid}`, `--regid=${user.gid}`, "--clear-groups", "--"]
        : [];
      const [program, ...args] = [...prefix, ...argv];
      const child = new Deno.Command(program!, {
        args,
        env: { LANG: "C.UTF-8", ...(options.env ?? {}) },
        stdin: options.stdin === undefined ? "null" : "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      if (options.stdin !== undefined) {
        const writer = child.stdin.getWriter();
        await writer.write(new TextEncoder().encode(options.stdin));
        await writer.close();
      }
      const { code, stdout, stderr } = await child.output();
      if (code !== 0) {
        const tail = new TextDecoder().decode(stderr).trim().split("\n").slice(-8).join("\n    ");
        throw new FailedError(`${argv[0]} exited with ${code}:\n    ${tail}`);
      }
      return new TextDecoder().decode(stdout);
    },
    async mkdir(path, mode = 0o755) {
      await Deno.mkdir(path, { recursive: true, mode });
      await Deno.chmod(path, mode);
      if (user) await Deno.chown(path, user.uid, user.gid);
    },
    async writeFile(path, content, mode = 0o644) {
      await Deno.writeTextFile(path, content, { mode });
      await Deno.chmod(path, mode);
      if (user) await Deno.chown(path, user.uid, user.gid);
    },
  };
}
