import type { Environment } from "../config/environment.ts";
import type { TaskNeeds } from "../task/define_task.ts";

/**
 * What a run that may send the environment's notifications needs beyond its
 * permission set: the webhooks' hosts (their URLs are secrets, resolved only
 * here). The webhook module loads only when the environment has webhooks.
 */
export async function webhookNeeds(environment: Environment): Promise<TaskNeeds> {
  if (!environment.notifications?.webhooks.length) return {};
  const { webhookHosts } = await import("./webhook.ts");
  return { net: await webhookHosts(environment) };
}
