/** The reference forms a secret may take in an environment file: `env:NAME`, `file:PATH`, `generated:NAME`. */
export const secretRefPattern: RegExp = /^(env|file|generated):(.+)$/;
