/**
 * Notifications: webhook POSTs (failure, recovery, missed, test) with
 * retries, a timeout and a redacted payload; the URL is a secret reference.
 * @module
 */
export { notificationText, sendNotification, webhookHosts } from "./webhook.ts";
export type { Delivery, NotificationKind, NotificationPayload, SendOptions } from "./webhook.ts";
