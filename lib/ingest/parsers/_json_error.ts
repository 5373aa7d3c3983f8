/** The 1-based line of a JSON.parse error in `text`, from the engine's message. */
export function jsonErrorLine(error: unknown, text: string): number | undefined {
  const message = error instanceof Error ? error.message : String(error);
  const lineMatch = /\(line (\d+) column \d+\)/.exec(message);
  if (lineMatch) return Number(lineMatch[1]);
  const position = /at position (\d+)/.exec(message);
  if (position) {
    const upto = text.slice(0, Number(position[1]));
    return upto.split("\n").length;
  }
  if (/Unexpected end of JSON input/.test(message)) return text.split("\n").length;
  return undefined;
}

/** A JSON.parse error message without the position details the caller reports itself. */
export function jsonErrorReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\(line \d+ column \d+\)/, "").replace(/ in JSON at position \d+/, "")
    .replace(/, "[^"]*"\.\.\. is not valid JSON/, " is not valid JSON");
}
