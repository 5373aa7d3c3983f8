/**
 * Machine setup for the native runtime: what is needed and how it is installed.
 * @module
 */
export { ensureRequirements } from "./ensure_requirements.ts";
export { nativeRequirements, onPath, opensearchVersion } from "./requirements.ts";
export type { Requirement, RequirementResult } from "./requirements.ts";
