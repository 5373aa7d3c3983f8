/**
 * Environments: loading, validation with file and line, secret references.
 * YAML and zod load lazily inside {@link loadEnvironment}; schemas live in
 * `environment_schema.ts` and `secret_ref.ts`.
 * @module
 */
export { loadEnvironment, selectEnvironment } from "./load_environment.ts";
export type { ConfiguredService, Environment, LoadEnvironmentOptions } from "./load_environment.ts";
export type { ComposeSection, RuntimeKind, SwarmSection } from "./environment_schema.ts";
export { environmentArgument } from "./environment_argument.ts";
export { secretRefPattern } from "./secret_pattern.ts";
export { resolveSecret } from "./secrets.ts";
