/** A compiled log filter. */
export interface LogFilter {
  /** What the operator typed. */
  source: string;
  /** Global regex used to find matches; null when the filter is empty. */
  pattern: RegExp | null;
  /** True when the text was not a valid regex and is matched literally. */
  literal: boolean;
}

/** A piece of a line: matched text is highlighted. */
export interface TextSegment {
  text: string;
  match: boolean;
}

/**
 * Compiles a filter typed after `/`: a regex, case-insensitive unless it has
 * an upper-case letter (smart case); invalid regex syntax falls back to a
 * literal match instead of an error.
 */
export function compileLogFilter(source: string): LogFilter {
  if (source === "") return { source, pattern: null, literal: false };
  const flags = /[A-Z]/.test(source) ? "g" : "gi";
  try {
    return { source, pattern: new RegExp(source, flags), literal: false };
  } catch {
    const escaped = source.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    return { source, pattern: new RegExp(escaped, flags), literal: true };
  }
}

/** True when the line matches (every line matches an empty filter). */
export function matchesFilter(filter: LogFilter, text: string): boolean {
  if (!filter.pattern) return true;
  filter.pattern.lastIndex = 0;
  return filter.pattern.test(text);
}

/** Splits a line into matched and unmatched pieces for highlighting. */
export function highlightSegments(filter: LogFilter, text: string): TextSegment[] {
  if (!filter.pattern) return [{ text, match: false }];
  const out: TextSegment[] = [];
  const pattern = filter.pattern;
  pattern.lastIndex = 0;
  let last = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    if (m[0] === "") {
      // an empty match (e.g. `a*`) would loop forever: step over one character
      pattern.lastIndex++;
      continue;
    }
    if (m.index > last) out.push({ text: text.slice(last, m.index), match: false });
    out.push({ text: m[0], match: true });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last), match: false });
  return out.length ? out : [{ text, match: false }];
}
