import { z } from "zod";

import { secretRefPattern } from "./secret_pattern.ts";

export { secretRefPattern };

/**
 * A schema for a setting that holds a secret: only a reference (`env:NAME`,
 * `file:PATH`, `generated:NAME`) is accepted, never the value itself.
 */
export function secretRef(): z.ZodString {
  return z.string().regex(
    secretRefPattern,
    "inline secret values are not allowed: use env:NAME, file:PATH or generated:NAME",
  );
}
