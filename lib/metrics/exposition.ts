/** A metric family's type in the Prometheus text format. */
export type MetricType = "gauge" | "counter";

interface Family {
  help: string;
  type: MetricType;
  samples: { labels: Record<string, string>; value: number }[];
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/**
 * Builds a Prometheus text exposition (format 0.0.4): one `# HELP` and
 * `# TYPE` per family, then its samples, families in the order they were
 * first declared. Labels are escaped as the format requires.
 */
export class Exposition {
  readonly #families = new Map<string, Family>();

  /** Declares a family (again: no change) so it appears with HELP and TYPE even without samples. */
  family(name: string, type: MetricType, help: string): this {
    if (!this.#families.has(name)) this.#families.set(name, { help, type, samples: [] });
    return this;
  }

  /** Adds a sample to a declared family. */
  add(name: string, labels: Record<string, string>, value: number): this {
    const family = this.#families.get(name);
    if (!family) throw new Error(`metric ${name} was not declared`);
    family.samples.push({ labels, value });
    return this;
  }

  /** The exposition text, ending with a newline. */
  text(): string {
    const lines: string[] = [];
    for (const [name, family] of this.#families) {
      if (family.samples.length === 0) continue;
      lines.push(`# HELP ${name} ${family.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`);
      lines.push(`# TYPE ${name} ${family.type}`);
      for (const sample of family.samples) {
        const labels = Object.entries(sample.labels)
          .map(([key, value]) => `${key}="${escapeLabel(value)}"`)
          .join(",");
        lines.push(`${name}${labels ? `{${labels}}` : ""} ${formatValue(sample.value)}`);
      }
    }
    return lines.join("\n") + "\n";
  }
}

/** The content type of the text exposition. */
export const expositionContentType = "text/plain; version=0.0.4; charset=utf-8";
