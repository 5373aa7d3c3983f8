/**
 * Compose models: rendering (docker compose config, or a built-in YAML merge
 * of include + overrides that needs no Docker) and the invariants
 * `config:validate` checks.
 * @module
 */
export { interpolate, interpolateTree, MissingVariableError } from "./interpolate.ts";
export { isStateful, normaliseModel, normaliseService } from "./compose_model.ts";
export type { ComposeModel, ComposeServiceModel, MountSpec, PortMapping } from "./compose_model.ts";
export {
  ComposeFileError,
  loadComposeFiles,
  mergeCompose,
  readEnvFile,
} from "./load_compose_files.ts";
export type { ComposeOrigin, ComposeOrigins, LoadedCompose } from "./load_compose_files.ts";
export { availableRenderer, renderCompose } from "./render_compose.ts";
export type { ComposeRenderer, RenderedCompose } from "./render_compose.ts";
export { composeViolations } from "./compose_violations.ts";
export type { ComposeExpectations, ComposeRule, ComposeViolation } from "./compose_violations.ts";
