import { dirname, join } from "../posix_path.ts";
import { UsageError } from "../errors.ts";
import { redactor } from "../output/mod.ts";
import { resolveFromRoot } from "../project_paths.ts";
import { secretRefPattern } from "./secret_pattern.ts";

/** How a missing `generated:` secret is handled: created (start paths) or left unresolved (read-only paths). */
export type GeneratedSecretMode = "create" | "read";

/**
 * Resolves a secret reference to its value and registers the value with the
 * redactor, so it can never be printed.
 * @throws {UsageError} when the variable or file is missing.
 */
export async function resolveSecret(
  ref: string,
  options: { secretsDir: string; where: string; generated: GeneratedSecretMode },
): Promise<string | undefined> {
  const match = secretRefPattern.exec(ref);
  if (!match) {
    throw new UsageError(
      `${options.where}: not a secret reference`,
      "use env:NAME, file:PATH or generated:NAME",
    );
  }
  const [, kind, target = ""] = match;
  let value: string | undefined;
  if (kind === "env") {
    value = Deno.env.get(target);
    if (value === undefined || value === "") {
      throw new UsageError(
        `environment variable ${JSON.stringify(target)} is not set (${options.where})`,
        `export ${target}=... or point the setting at file:PATH`,
      );
    }
  } else if (kind === "file") {
    try {
      value = (await Deno.readTextFile(resolveFromRoot(target))).trim();
    } catch {
      throw new UsageError(
        `secret file ${JSON.stringify(target)} cannot be read (${options.where})`,
        "create the file or fix the path",
      );
    }
  } else {
    if (!/^[A-Za-z0-9_.-]+$/.test(target)) {
      throw new UsageError(
        `${options.where}: generated secret name ${
          JSON.stringify(target)
        } may only use letters, digits, '.', '_' and '-'`,
      );
    }
    const path = join(options.secretsDir, target);
    try {
      value = (await Deno.readTextFile(path)).trim();
    } catch {
      // a run that may not write the state folder is run again with it granted (the CLI), and creates it then
      if (options.generated === "read" || !mayWrite(path)) return undefined;
      value = randomSecret();
      // the state folder must stay traversable for the service user; only secrets/ is private
      await Deno.mkdir(dirname(dirname(path)), { recursive: true, mode: 0o755 });
      await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
      await Deno.writeTextFile(path, value + "\n", { mode: 0o600 });
    }
  }
  redactor.add(value);
  return value;
}

function mayWrite(path: string): boolean {
  return Deno.permissions.querySync({ name: "write", path }).state === "granted";
}

function randomSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
