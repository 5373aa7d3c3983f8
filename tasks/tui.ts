import { UsageError } from "../lib/errors.ts";
import { webhookNeeds } from "../lib/notify/webhook_needs.ts";
import { type AnyTask, defineTask } from "../lib/task/define_task.ts";
import { loadDashboard } from "../tui/load_dashboard.ts";

/**
 * The `tui` task: the on-call dashboard over the same task registry as the
 * CLI. The registry is handed in (it lists this task too), loaded only once
 * the first frame is on screen.
 */
export function tuiTasks(registry: () => AnyTask[] | Promise<AnyTask[]>): AnyTask[] {
  const tui = defineTask({
    id: "tui",
    summary:
      "Open the on-call dashboard: services, dependencies, merged logs and every action from the keyboard",
    action: "tui",
    permissions: "ops",
    // It observes with the light environment (fast first frame) and loads the full one,
    // which can launch services, for its actions (see `actions` below).
    snapshotSuffices: true,
    options: {
      "read-only": {
        type: "boolean",
        description: "hide every action: watch only",
        default: false,
      },
      refresh: {
        type: "number",
        description: "seconds between two status polls",
        default: 2,
        min: 0.5,
        placeholder: "SECONDS",
      },
    },
    // a schedule run from the dashboard posts its notifications from this process:
    // the webhooks' hosts are granted to the dashboard as they are to schedule:run
    needs: ({ environment }) => webhookNeeds(environment),
    run: async (ctx, { options }) => {
      if (!Deno.stdin.isTerminal() || !Deno.stdout.isTerminal()) {
        throw new UsageError(
          "the dashboard needs a terminal: stdin and stdout must both be a TTY",
          "for a refreshing status without a terminal run ./ops status --watch 2",
        );
      }
      // Ink and React load only now (tui/cli.ts starts them earlier), in the production build
      const { runDashboard } = await loadDashboard();
      return await runDashboard({
        environment: ctx.environment,
        runtime: ctx.runtime,
        // the first frame comes from the light environment `snapshotSuffices` gives (a snapshot
        // when one is current); actions get the registry and the full environment right after
        actions: async () => {
          const [tasks, { runTask }, { loadEnvironment }, { runtimeFor }] = await Promise.all([
            registry(),
            import("../lib/task/run_task.ts"),
            import("../lib/config/mod.ts"),
            import("../lib/runtime/mod.ts"),
          ]);
          const environment = await loadEnvironment(ctx.environment.file, {
            generatedSecrets: "create",
          });
          return { tasks, runTask, environment, runtime: runtimeFor(environment) };
        },
        readOnly: options["read-only"],
        refreshSeconds: options.refresh,
        signal: ctx.signal,
      });
    },
    render: (summary, output) => {
      const failed = summary.failed ? ` (${summary.failed} failed)` : "";
      output.line(
        `dashboard closed: ${summary.actions} action(s) run in ${summary.environment}${failed}${
          summary.auditLog && summary.actions ? `; audit log ${summary.auditLog}` : ""
        }`,
      );
    },
  });
  return [tui];
}
