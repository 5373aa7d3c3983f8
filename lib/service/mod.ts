/**
 * Service definitions: `defineService`, loading `services/*`, contexts, templates.
 * @module
 */
export { defineService } from "./define_service.ts";
export type {
  AnyServiceDefinition,
  DependencyCondition,
  NativeSpec,
  NativeTools,
  ServiceContext,
  ServiceDefinition,
} from "./define_service.ts";
export { loadServices } from "./load_services.ts";
export { serviceFolderNames } from "./service_folders.ts";
export { localHost, serviceContext, serviceHost } from "./service_context.ts";
export { renderTemplate } from "./render_template.ts";
export { cacheDir, findJavaHome, findPostgresBinDir, opensearchHome } from "./binaries.ts";
export { serviceProbe } from "./service_probe.ts";
