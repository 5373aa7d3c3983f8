import { join, relative } from "../posix_path.ts";
import type { z } from "zod";
import { suggest } from "../suggest.ts";
import { UsageError } from "../errors.ts";
import { projectRoot, servicesDir } from "../project_paths.ts";

/** Folder of the index definitions: `services/opensearch/indices/NAME.json`. */
export const indicesDir: string = join(servicesDir, "opensearch", "indices");

/** Names a versioned index may have: lower case, and never ending in `-vN` (that is a version). */
export const indexNamePattern: RegExp = /^[a-z][a-z0-9_-]{0,200}$/;

/** zod loads only when a definition is read, never at start-up. */
async function definitionSchema() {
  const { z } = await import("zod");
  return z.object({
    description: z.string().optional(),
    settings: z.record(z.string(), z.unknown()).default({}),
    mappings: z.record(z.string(), z.unknown()).default({}),
  }).strict();
}

/** What an index is made of: the body of the create-index call, without aliases (those are managed). */
export type IndexDefinition = z.infer<Awaited<ReturnType<typeof definitionSchema>>>;

/**
 * Checks a name given for a versioned index.
 * @throws {UsageError} for upper case, wildcards, commas or a `-vN` suffix.
 */
export function assertIndexName(name: string): void {
  if (!indexNamePattern.test(name) || /-v\d+$/.test(name)) {
    throw new UsageError(
      `${JSON.stringify(name)} is not a valid index name`,
      "use lower-case letters, digits, '-' and '_', starting with a letter and not ending in -vN (versions are added for you)",
    );
  }
}

/** The names of the definition files in a folder (without `.json`), sorted. */
export async function indexDefinitionNames(dir: string = indicesDir): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.endsWith(".json")) names.push(entry.name.slice(0, -5));
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}

/**
 * Reads and checks `NAME.json` (settings + mappings).
 * @throws {UsageError} when the file is missing (listing the available names) or malformed.
 */
export async function loadIndexDefinition(
  name: string,
  dir: string = indicesDir,
): Promise<IndexDefinition> {
  assertIndexName(name);
  const file = join(dir, `${name}.json`);
  const shown = relative(projectRoot, file).startsWith("..") ? file : relative(projectRoot, file);
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    const names = await indexDefinitionNames(dir);
    const guess = suggest(name, names);
    const available = names.length
      ? `available: ${names.join(", ")}`
      : `no index definitions exist yet in ${relative(projectRoot, dir) || dir}`;
    throw new UsageError(
      `no index definition ${JSON.stringify(name)}: ${shown} does not exist`,
      guess ? `did you mean '${guess}'? ${available}` : available,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `${shown} is not valid JSON: ${error instanceof Error ? error.message : error}`,
      "fix the file and run again",
    );
  }
  const parsed = (await definitionSchema()).safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) =>
      `${i.path.join(".") || "(top level)"}: ${i.message}`
    );
    throw new UsageError(
      `${shown} is not an index definition: ${problems.join("; ")}`,
      'the file holds { "settings": {...}, "mappings": {...} }; aliases are managed by the tasks',
    );
  }
  return parsed.data;
}
