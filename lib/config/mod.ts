/**
 * Environments: loading, validation with file and line, secret references.
 * @module
 */
export { loadEnvironment, selectEnvironment } from "./load_environment.ts";
export type { ConfiguredService, Environment, LoadEnvironmentOptions } from "./load_environment.ts";
export { environmentFileSchema, runtimeKinds } from "./environment_schema.ts";
export type { EnvironmentFile, RuntimeKind } from "./environment_schema.ts";
export { secretRef, secretRefPattern } from "./secret_ref.ts";
export { resolveSecret } from "./secrets.ts";
export { parseLocatedYaml } from "./yaml_locations.ts";
