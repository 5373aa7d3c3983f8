/**
 * The stack status API shared by the CLI and the dashboard.
 * @module
 */
export { dependencyMap, serviceStatus, stackStatus } from "./stack_status.ts";
export type { ServiceStatus, StackStatus } from "./stack_status.ts";
