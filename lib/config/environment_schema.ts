import { z } from "zod";
import { notificationsSchema, schedulesSchema } from "../schedule/schedule_schema.ts";

/** Where an environment runs its services. */
export const runtimeKinds = ["native", "compose"] as const;
/** One of the runtime kinds. */
export type RuntimeKind = (typeof runtimeKinds)[number];

/** Schema of the top level of `environments/<name>.yaml`; each service section is checked by its own service schema. */
export const environmentFileSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9-]*$/, "use lower-case letters, digits and '-'"),
  description: z.string().optional(),
  runtime: z.enum(runtimeKinds),
  protected: z.boolean().default(false),
  stateDir: z.string().min(1),
  backupDir: z.string().min(1).optional(),
  serviceUser: z.string().regex(/^[a-z_][a-z0-9_-]*$/).default("hailmary"),
  /** Compose runtime: project name (default `hailmary-<name>`) and files from the project root (default `compose.yaml` + `environments/compose.<name>.yaml`). */
  compose: z.object({
    project: z.string().regex(
      /^[a-z0-9][a-z0-9_-]*$/,
      "use lower-case letters, digits, '_' and '-'",
    )
      .optional(),
    files: z.array(z.string().min(1)).min(1).optional(),
  }).strict().optional(),
  services: z.record(z.string(), z.record(z.string(), z.unknown()).nullable()),
  /** What cron runs unattended (`schedule:install` writes it to the system's cron). */
  schedules: schedulesSchema.default([]),
  /** Who hears about failed, recovered and missed scheduled runs. */
  notifications: notificationsSchema.default({ webhooks: [] }),
}).strict();

/** The parsed top level of an environment file. */
export type EnvironmentFile = z.infer<typeof environmentFileSchema>;

/** The `compose:` section of an environment file. */
export type ComposeSection = NonNullable<EnvironmentFile["compose"]>;
