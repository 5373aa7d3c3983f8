/** One log line on stdout (the runtime appends it to the service log): time, level, message. */
export function log(level: "info" | "warn" | "error", message: string): void {
  console.log(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}`);
}
