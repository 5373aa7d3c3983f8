import { join } from "../posix_path.ts";
import { redactor } from "../output/redactor.ts";
import type { ActionRecord } from "./stack_snapshot.ts";

/** One line of `<stateDir>/audit.log`. */
export interface AuditEntry {
  time: string;
  startedAt: string;
  environment: string;
  user: string;
  host: string;
  /** What ran the action (`dashboard`). */
  source: string;
  task: string;
  service: string | null;
  options: Record<string, unknown>;
  args: string[];
  exitCode: number;
  status: "ok" | "failed" | "refused" | "busy";
  durationMs: number;
  message: string;
}

/** The audit log file of an environment. */
export function auditLogPath(stateDir: string): string {
  return join(stateDir, "audit.log");
}

const secretName = /pass(word)?|secret|token|credential/i;

/** Option values with secret-looking ones masked: the audit log and the history never keep them. */
export function maskOptions(options: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options)) {
    out[name] = secretName.test(name) && value !== undefined && value !== "" ? "***" : value;
  }
  return redactor.redactValue(out);
}

function statusOf(exitCode: number): AuditEntry["status"] {
  return exitCode === 0 ? "ok" : exitCode === 2 ? "refused" : exitCode === 75 ? "busy" : "failed";
}

function who(): { user: string; host: string } {
  let user = "unknown";
  let host = "unknown";
  try {
    user = Deno.env.get("SUDO_USER") ?? Deno.env.get("USER") ?? Deno.env.get("LOGNAME") ??
      `uid ${Deno.uid() ?? "?"}`;
  } catch {
    // no env or uid permission
  }
  try {
    host = Deno.hostname();
  } catch {
    // no sys permission
  }
  return { user, host };
}

/**
 * Appends one JSON line for a finished action to the audit log (created 0600
 * with its folder when missing). Everything passes through the redactor.
 */
export async function appendAuditEntry(
  path: string,
  record: ActionRecord,
  context: { environment: string; source: string },
): Promise<void> {
  const entry: AuditEntry = {
    time: record.finishedAt,
    startedAt: record.startedAt,
    environment: context.environment,
    ...who(),
    source: context.source,
    task: record.taskId,
    service: record.service,
    options: maskOptions(record.options),
    args: record.args,
    exitCode: record.exitCode,
    status: statusOf(record.exitCode),
    durationMs: record.durationMs,
    message: record.message,
  };
  const line = redactor.redact(JSON.stringify(entry)) + "\n";
  await Deno.mkdir(join(path, ".."), { recursive: true });
  const file = await Deno.open(path, { append: true, create: true, mode: 0o600 });
  try {
    // One write of a short line on an O_APPEND file: concurrent writers do not interleave.
    const bytes = new TextEncoder().encode(line);
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
  } finally {
    file.close();
  }
}
