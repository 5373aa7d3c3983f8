import { z } from "zod";

/** The reference forms a secret may take in an environment file. */
export const secretRefPattern: RegExp = /^(env|file|generated):(.+)$/;

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
