import { projectRoot } from "../project_paths.ts";
import { FailedError } from "../errors.ts";

/**
 * The version of the checkout a deploy builds: the short commit, with
 * `-dirty` when the working tree has uncommitted changes (so two different
 * builds never share a tag).
 * @throws {FailedError} when the folder is not a git checkout.
 */
export async function sourceVersion(root: string = projectRoot): Promise<string> {
  const git = async (args: string[]) => {
    const { code, stdout, stderr } = await new Deno.Command("git", {
      args: ["-C", root, ...args],
      env: { GIT_OPTIONAL_LOCKS: "0" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (code !== 0) {
      throw new FailedError(
        `git ${args[0]} failed in ${root}: ${new TextDecoder().decode(stderr).trim()}`,
        { hint: "deploy builds from a git checkout; commit or clone the project first" },
      );
    }
    return new TextDecoder().decode(stdout).trim();
  };
  const commit = await git(["rev-parse", "--short=12", "HEAD"]);
  const changes = await git(["status", "--porcelain", "--untracked-files=no"]);
  return changes ? `${commit}-dirty` : commit;
}
