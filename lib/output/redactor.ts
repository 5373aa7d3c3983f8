/** Replaces secret values with `***` in any text before it leaves the process. */
export class Redactor {
  #secrets = new Set<string>();

  /** Remembers a secret value; values shorter than 4 characters are not tracked (too many false hits). */
  add(secret: string | undefined): void {
    if (secret !== undefined && secret.length >= 4) this.#secrets.add(secret);
  }

  /** The text with every known secret replaced by `***`. */
  redact(text: string): string {
    let out = text;
    for (const secret of this.#secrets) {
      if (out.includes(secret)) out = out.split(secret).join("***");
    }
    return out;
  }

  /** A deep copy of a JSON-like value with every string redacted. */
  redactValue<T>(value: T): T {
    if (this.#secrets.size === 0) return value;
    return JSON.parse(this.redact(JSON.stringify(value))) as T;
  }
}

/** The process-wide redactor: config loading registers every resolved secret here. */
export const redactor: Redactor = new Redactor();
