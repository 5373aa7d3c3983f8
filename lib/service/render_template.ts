import { UsageError } from "../errors.ts";

/**
 * Replaces `{{name}}` placeholders; an unknown placeholder is an error so a
 * config file never ships with a literal `{{...}}`.
 * @throws {UsageError} naming the placeholder and the template.
 */
export function renderTemplate(
  template: string,
  values: Record<string, string | number>,
  name = "template",
): string {
  return template.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new UsageError(`${name}: unknown placeholder {{${key}}}`);
    return String(value);
  });
}
