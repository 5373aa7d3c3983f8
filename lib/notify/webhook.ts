import type { Environment } from "../config/mod.ts";
import { join } from "../posix_path.ts";
import { resolveSecret } from "../config/secrets.ts";
import { errorMessage } from "../errors.ts";
import { redactor } from "../output/redactor.ts";

/** What a notification is about. */
export type NotificationKind = "failure" | "recovery" | "missed" | "test";

/**
 * The JSON body POSTed to every webhook. `text` is what Slack-compatible
 * receivers (Slack, Mattermost, Rocket.Chat, Teams workflows) show.
 */
export interface NotificationPayload {
  event: NotificationKind;
  environment: string;
  host: string;
  schedule: string | null;
  task: string | null;
  exitCode: number | null;
  durationMs: number | null;
  startedAt: string | null;
  /** For a missed run: the due time that passed without a run. */
  dueAt: string | null;
  /** The last lines of the run's output (redacted). */
  output: string[];
  text: string;
}

/** How one webhook took a notification. */
export interface Delivery {
  /** The webhook's position in `notifications.webhooks` (1-based) and its reference, never its URL. */
  webhook: string;
  delivered: boolean;
  attempts: number;
  /** HTTP status of the last attempt, or null when none answered. */
  status: number | null;
  /** Why it was not delivered (or skipped), without the URL. */
  detail: string;
}

/** Retry policy of {@link sendNotification}. */
export interface SendOptions {
  /** Attempts per webhook (default 3). */
  attempts?: number;
  /** Wait before the second attempt, doubled after each (default 1000 ms). */
  backoffMs?: number;
  /** Warnings (a webhook whose reference cannot be resolved is skipped with one). */
  warn?: (text: string) => void;
}

/**
 * The hosts the environment's webhooks are on, for the run's network grant;
 * references that do not resolve are left out (they are skipped when sending).
 */
export async function webhookHosts(environment: Environment): Promise<string[]> {
  const hosts: string[] = [];
  for (const [index] of (environment.notifications?.webhooks ?? []).entries()) {
    const url = await webhookUrl(environment, index).catch(() => undefined);
    if (url) hosts.push(url.hostname);
  }
  return [...new Set(hosts)];
}

async function webhookUrl(environment: Environment, index: number): Promise<URL> {
  const webhook = environment.notifications?.webhooks[index];
  if (!webhook) throw new Error(`no webhook ${index + 1}`);
  const value = await resolveSecret(webhook.url, {
    secretsDir: join(environment.stateDir, "secrets"),
    where: `notifications.webhooks.${index}.url`,
    generated: "read",
  });
  if (!value) throw new Error("the reference resolved to nothing");
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error("its value is not a URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new Error("its URL is not http or https");
  }
  return url;
}

/**
 * POSTs the payload to every webhook of the environment, each with its own
 * timeout and retries with backoff, all at once. Never throws and never waits
 * longer than attempts × (timeout + backoff): a receiver that is down cannot
 * hang a task or change its exit code. The payload is redacted first; the URL
 * appears in no result, message or log.
 */
export async function sendNotification(
  environment: Environment,
  payload: NotificationPayload,
  options: SendOptions = {},
): Promise<Delivery[]> {
  const webhooks = environment.notifications?.webhooks ?? [];
  const body = redactor.redact(JSON.stringify(payload));
  return await Promise.all(webhooks.map(async (webhook, index): Promise<Delivery> => {
    const name = `webhook ${index + 1} (${webhook.url.replace(/^(env|file):/, "$1:")})`;
    let url: URL;
    try {
      url = await webhookUrl(environment, index);
    } catch (error) {
      const detail = `skipped: ${redactor.redact(errorMessage(error).split("\n")[0] ?? "")}`;
      options.warn?.(`${name} ${detail}`);
      return { webhook: name, delivered: false, attempts: 0, status: null, detail };
    }
    const attempts = options.attempts ?? 3;
    let backoff = options.backoffMs ?? 1000;
    let status: number | null = null;
    let detail = "";
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", "user-agent": "hailmary-ops" },
          body,
          signal: AbortSignal.timeout(webhook.timeout * 1000),
        });
        status = response.status;
        await response.body?.cancel();
        if (response.ok) {
          return { webhook: name, delivered: true, attempts: attempt, status, detail: "delivered" };
        }
        detail = `answered HTTP ${response.status}`;
        // a receiver that refuses the request will refuse it again
        if (response.status >= 400 && response.status < 500 && response.status !== 429) {
          return { webhook: name, delivered: false, attempts: attempt, status, detail };
        }
      } catch (error) {
        status = null;
        detail = error instanceof DOMException && error.name === "TimeoutError"
          ? `no answer within ${webhook.timeout} s`
          : error instanceof Deno.errors.NotCapable
          ? "this run may not reach its host"
          : "could not connect";
      }
      if (attempt < attempts) {
        await new Promise((resolve) => setTimeout(resolve, backoff));
        backoff *= 2;
      }
    }
    options.warn?.(`${name} not delivered after ${attempts} attempts: ${detail}`);
    return { webhook: name, delivered: false, attempts, status, detail };
  }));
}

/** The one-line text a chat receiver shows for a notification. */
export function notificationText(payload: Omit<NotificationPayload, "text">): string {
  const what = payload.schedule
    ? `schedule ${payload.schedule} (${payload.task})`
    : payload.task ?? "hailmary-ops";
  const took = payload.durationMs === null
    ? ""
    : ` after ${(payload.durationMs / 1000).toFixed(1)} s`;
  const where = `[${payload.environment}@${payload.host}]`;
  switch (payload.event) {
    case "failure":
      return `${where} ${what} FAILED with exit code ${payload.exitCode}${took}`;
    case "recovery":
      return `${where} ${what} recovered: succeeded again${took}`;
    case "missed":
      return `${where} ${what} MISSED its run due at ${payload.dueAt}: cron did not start it`;
    case "test":
      return `${where} test notification from hailmary-ops: webhooks work`;
  }
}
