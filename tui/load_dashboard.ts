/**
 * Loads the dashboard's modules (Ink, React, the views) once per process.
 * Both `tui/cli.ts`, which starts loading them at once, and the `tui` task
 * wait on the same import: importing the module twice while its first
 * import is still evaluating (Ink waits for its layout engine's WebAssembly)
 * can hand out a module that is not initialised yet.
 * @module
 */

let loading: Promise<typeof import("./main.tsx")> | undefined;

/**
 * The dashboard module, imported on the first call. Selects React's
 * production build first: React picks its build when it first loads, and the
 * development one records every render for profilers, at several times the
 * CPU per frame.
 */
export function loadDashboard(): Promise<typeof import("./main.tsx")> {
  if (Deno.env.get("NODE_ENV") === undefined) Deno.env.set("NODE_ENV", "production");
  // A computed specifier: Deno resolves the npm packages of every literal import at start-up,
  // which would slow every other task of the CLI, whose registry includes the `tui` task.
  const specifier = new URL("./main.tsx", import.meta.url).href;
  loading ??= import(specifier) as Promise<typeof import("./main.tsx")>;
  return loading;
}
