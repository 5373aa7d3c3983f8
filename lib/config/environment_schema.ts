import { z } from "zod";
import { notificationsSchema, schedulesSchema } from "../schedule/schedule_schema.ts";

/** Where an environment runs its services. */
export const runtimeKinds = ["native", "compose", "swarm"] as const;
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
  /**
   * Swarm runtime: the stack name (default `hailmary-<name>`) and the nodes' Docker engines
   * (`unix://` or `ssh://`); without `nodes`, the local cluster `./ops cluster:create` makes.
   */
  swarm: z.object({
    stack: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, "use lower-case letters, digits, '_' and '-'")
      .optional(),
    nodes: z.array(
      z.object({
        name: z.string().min(1),
        engine: z.string().regex(
          /^(unix|ssh|tcp):\/\/\S+$/,
          "use unix:///path/docker.sock, ssh://user@host or tcp://host:port",
        ),
      }).strict(),
    ).min(1).optional(),
    /** Replicas of stateless services when started (default 1; `<service>:scale` changes it). */
    replicas: z.record(z.string(), z.number().int().min(1).max(50)).optional(),
    /** The local cluster: the network its nodes share (a /24, last octet chosen per node). */
    subnet: z.string().regex(/^\d+\.\d+\.\d+\.0\/24$/, "use a /24 such as 192.168.213.0/24")
      .optional(),
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

/** The `swarm:` section of an environment file. */
export type SwarmSection = NonNullable<EnvironmentFile["swarm"]>;
