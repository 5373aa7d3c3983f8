/**
 * Helpers for the schedule, notification and metrics tests: an environment
 * file that points at the shared stack's servers (and its state folder) with
 * a `schedules:` and `notifications:` section, and a webhook receiver on a
 * loopback port that keeps what it was sent.
 */
import { join } from "node:path";
import { stringify } from "yaml";
import { readEnvConfig } from "./data_env.ts";

/** An environment file with schedules, over the shared stack. */
export interface ScheduleEnv {
  file: string;
  dir: string;
  name: string;
  stateDir: string;
  remove(): Promise<void>;
}

/** Writes `<name>.yaml` beside a copy of `envFile`'s settings, with these sections added. */
export async function scheduleEnvironment(
  envFile: string,
  name: string,
  sections: { schedules?: unknown[]; notifications?: unknown },
): Promise<ScheduleEnv> {
  const dir = await Deno.makeTempDir({ prefix: `hailmary-${name}-` });
  await Deno.chmod(dir, 0o755);
  const config = await readEnvConfig(envFile);
  const file = join(dir, `${name}.yaml`);
  await Deno.writeTextFile(
    file,
    stringify({
      ...config,
      name,
      backupDir: join(dir, "backups"),
      ...(sections.notifications ? { notifications: sections.notifications } : {}),
      ...(sections.schedules ? { schedules: sections.schedules } : {}),
    }),
  );
  return {
    file,
    dir,
    name,
    stateDir: config.stateDir,
    remove: () => Deno.remove(dir, { recursive: true }).catch(() => {}),
  };
}

/** One request a receiver got. */
export interface Received {
  path: string;
  body: Record<string, unknown>;
  raw: string;
}

/** A webhook receiver on a loopback port. */
export interface WebhookReceiver {
  /** The URL to post to, including a path token that plays the secret. */
  url: string;
  token: string;
  received: Received[];
  /** Resolves once `count` requests have arrived (or rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

/**
 * Starts a receiver that answers 204 to every POST and records it, on
 * 127.0.0.1 or another loopback address (127.0.0.2 is outside the permission
 * sets' hosts: only a run granted the webhook's host reaches it).
 */
export function startReceiver(hostname = "127.0.0.1"): WebhookReceiver {
  const token = `tok-${crypto.randomUUID()}`;
  const received: Received[] = [];
  const server = Deno.serve({ hostname, port: 0, onListen: () => {} }, async (req) => {
    const raw = await req.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(raw);
    } catch {
      // kept raw
    }
    received.push({ path: new URL(req.url).pathname, body, raw });
    return new Response(null, { status: 204 });
  });
  const port = server.addr.port;
  return {
    url: `http://${hostname}:${port}/hooks/${token}`,
    token,
    received,
    async waitFor(count, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) {
          throw new Error(`the receiver got ${received.length} requests, expected ${count}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      return received;
    },
    close: () => server.shutdown(),
  };
}
