import { z } from "zod";
import { cronProblem, timezoneProblem } from "./cron_expression.ts";

/** The events a schedule can notify about. */
export const notifyEvents = ["failure", "recovery", "missed"] as const;
/** One of {@link notifyEvents}. */
export type NotifyEvent = (typeof notifyEvents)[number];

/**
 * One `schedules:` entry of an environment file: what cron runs, when, for
 * how long at most, and who hears about it.
 */
export const scheduleSchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "use lower-case letters, digits and '-'"),
  cron: z.string().superRefine((text, ctx) => {
    const problem = cronProblem(text);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  }),
  timezone: z.string().superRefine((name, ctx) => {
    const problem = timezoneProblem(name);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  }).optional(),
  task: z.string().regex(/^[a-z][a-z0-9:-]*$/, "a task id such as backup or postgres:backup"),
  args: z.array(z.string()).default([]).refine(
    (args) => !args.some((a) => a === "--env" || a.startsWith("--env=") || a === "--json"),
    "--env and --json are set by schedule:run",
  ),
  /** Seconds before the run is stopped (SIGTERM, then SIGKILL 10 s later) and counted as failed. */
  timeout: z.number().int().min(1).max(7 * 86_400).default(3600),
  notify: z.array(z.enum(notifyEvents)).default([...notifyEvents]),
  /**
   * `each-failure`: every failing run notifies; `state-change`: only the first
   * failure after a success (the default of `health`, which may fail many times in a row).
   */
  notifyOn: z.enum(["each-failure", "state-change"]).optional(),
  /** Seconds after a due time before a run that has not started counts as missed. */
  grace: z.number().int().min(0).max(86_400).default(300),
  /** False keeps the entry but installs no cron line for it. */
  enabled: z.boolean().default(true),
}).strict();

/** A validated schedule. */
export type Schedule = z.infer<typeof scheduleSchema>;

/** The `schedules:` section: a list whose names are unique. */
export const schedulesSchema = z.array(scheduleSchema).superRefine((list, ctx) => {
  const seen = new Set<string>();
  list.forEach((schedule, index) => {
    if (seen.has(schedule.name)) {
      ctx.addIssue({
        code: "custom",
        path: [index, "name"],
        message: `schedule ${JSON.stringify(schedule.name)} is defined twice`,
      });
    }
    seen.add(schedule.name);
  });
});

/**
 * The `notifications:` section. A webhook URL carries its token, so it is a
 * secret reference (`env:NAME` or `file:PATH`), never the URL itself.
 */
export const notificationsSchema = z.object({
  webhooks: z.array(
    z.object({
      url: z.string().regex(
        /^(env|file):.+$/,
        "a webhook URL carries a token: use env:NAME or file:PATH, never the URL itself",
      ),
      /** Seconds one attempt may take. */
      timeout: z.number().int().min(1).max(60).default(5),
    }).strict(),
  ).default([]),
}).strict();

/** The validated `notifications:` section. */
export type Notifications = z.infer<typeof notificationsSchema>;

/** How failures of a schedule notify: every failing run, or only a change of state. */
export function notifyMode(schedule: Schedule): "each-failure" | "state-change" {
  return schedule.notifyOn ?? (schedule.task === "health" ? "state-change" : "each-failure");
}
