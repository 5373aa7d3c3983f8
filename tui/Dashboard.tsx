import { Box, Text, useApp, useWindowSize } from "ink";
import { useKeys } from "./hooks/use_keys.ts";
import { useEffect, useMemo, useRef, useState } from "react";
import { serviceActions, type StackModel, type TaskSummary } from "../lib/stack/mod.ts";
import { runnableInDashboard } from "../lib/stack/task_summary.ts";
import { ActionHints } from "./components/ActionHints.tsx";
import { CommandPalette } from "./components/CommandPalette.tsx";
import { ConfirmDialog } from "./components/ConfirmDialog.tsx";
import { EnvironmentBanner } from "./components/EnvironmentBanner.tsx";
import { HeaderBar } from "./components/HeaderBar.tsx";
import { HistoryPanel } from "./components/HistoryPanel.tsx";
import { KeyHints } from "./components/KeyHints.tsx";
import { type DashboardMessage, MessagePanel } from "./components/MessagePanel.tsx";
import { RunningPanel } from "./components/RunningPanel.tsx";
import { TaskForm } from "./components/TaskForm.tsx";
import { useConfirm } from "./hooks/use_confirm.ts";
import { useStackSnapshot } from "./hooks/use_stack_snapshot.ts";
import { useTicker } from "./hooks/use_ticker.ts";
import { dashboardCommands, helpCommands } from "./dashboard_commands.ts";
import { bindingFor, defaultKeymap, type KeyBinding, keyName, type View } from "./keymap.ts";
import { type SortKey, sortServices } from "./sort_services.ts";
import { useDashboardActions } from "./use_dashboard_actions.ts";
import { useLogControls } from "./use_log_controls.ts";
import { GraphView } from "./views/GraphView.tsx";
import { HelpView } from "./views/HelpView.tsx";
import { LogsView } from "./views/LogsView.tsx";
import { ServicesView } from "./views/ServicesView.tsx";
import { SchedulesView } from "./views/SchedulesView.tsx";

/** Props of {@link Dashboard}. */
export interface DashboardProps {
  model: StackModel;
  /** Hide every action: no action keys, palette or menus. */
  readOnly?: boolean;
  /** Where finished actions are appended, shown in the history title. */
  auditLog?: string | null;
  /** Ends the dashboard from outside (SIGTERM). */
  signal?: AbortSignal;
  /** The clock (tests pin it). */
  now?: () => number;
  /** Keys → commands; the footer and the help are generated from it. */
  keymap?: readonly KeyBinding[];
}

type Overlay =
  | { kind: "none" }
  | { kind: "help" }
  | { kind: "palette" }
  | { kind: "menu"; service: string }
  | { kind: "form"; task: TaskSummary };

/**
 * The on-call dashboard: services, dependency and logs views over one stack
 * model, actions generated from the task registry behind a key map, guarded
 * by confirmation dialogs, with running actions, messages and the history.
 */
export function Dashboard(
  { model, readOnly = false, auditLog = null, signal, now, keymap = defaultKeymap }: DashboardProps,
) {
  const snapshot = useStackSnapshot(model);
  const { exit } = useApp();
  const { columns, rows } = useWindowSize();
  const confirm = useConfirm();
  const [view, setView] = useState<View>("services");
  const [selectedName, setSelectedName] = useState<string | null>(null);
  const [sort, setSort] = useState<SortKey>("name");
  const [overlay, setOverlay] = useState<Overlay>({ kind: "none" });
  const [message, setMessage] = useState<DashboardMessage | null>(null);
  const [helpOffset, setHelpOffset] = useState(0);
  const [scheduleName, setScheduleName] = useState<string | null>(null);
  const schedules = snapshot.schedules;
  const allNames = useMemo(() => snapshot.services.map((s) => s.name), [snapshot.services]);
  const logs = useLogControls(model, allNames, view === "logs");
  const tick = useTicker(snapshot.running.length > 0);
  const clock = (now ?? Date.now)();
  void tick;

  useEffect(() => {
    if (!signal) return;
    if (signal.aborted) return exit();
    signal.addEventListener("abort", () => exit(), { once: true });
  }, [signal, exit]);

  const sorted = useMemo(() => sortServices(snapshot.services, sort), [snapshot.services, sort]);
  const order = useMemo(() => {
    if (view !== "graph") return sorted;
    const byName = new Map(snapshot.services.map((s) => [s.name, s]));
    return snapshot.waves.flat().map((n) => byName.get(n)).filter((s) => s !== undefined);
  }, [view, sorted, snapshot.services, snapshot.waves]);
  const selected = order.find((s) => s.name === selectedName) ?? order[0];
  // the selection a key acts on, even when it arrives before the render of the previous move
  const selectedRef = useRef<string | null>(null);
  selectedRef.current = selected?.name ?? null;
  // tasks of services this environment does not configure are not offered
  const tasks = readOnly
    ? []
    : model.tasks().filter((t) =>
      runnableInDashboard(t) && (t.service === null || allNames.includes(t.service))
    );
  const selectedActions = selected && !readOnly ? serviceActions(tasks, selected.name) : [];
  const actions = useDashboardActions({
    model,
    snapshot,
    confirm,
    setMessage,
    openForm: (task) => setOverlay({ kind: "form", task }),
  });

  // functional updates: held-down keys arrive faster than renders
  const move = (delta: number) => {
    if (order.length === 0) return;
    const from = selectedRef.current ?? order[0]!.name;
    const at = Math.max(0, order.findIndex((s) => s.name === from));
    const next = order[Math.min(order.length - 1, Math.max(0, at + delta))]!.name;
    selectedRef.current = next;
    setSelectedName(next);
  };

  // Layout: everything but the main area has a known height.
  const width = Math.max(20, columns);
  const bannerRows = snapshot.protected ? 1 : 0;
  const detailRows = Math.min(6, Math.max(0, rows - 24));
  const messageRows = 1 + Math.min(message?.details?.length ?? 0, detailRows);
  const historyRows = view === "logs"
    ? 0
    : Math.min(6, snapshot.history.length + 1, Math.max(0, rows - 20));
  const hintRows = view === "logs" ? 0 : 1;
  const mainRows = Math.max(
    3,
    rows - bannerRows - 1 - snapshot.running.length - messageRows - historyRows - hintRows - 1,
  );

  // the schedules view moves its own selection
  const moveSchedule = (delta: number) => {
    const list = schedules ?? [];
    if (list.length === 0) return;
    const at = Math.max(0, list.findIndex((s) => s.name === scheduleName));
    setScheduleName(list[Math.min(list.length - 1, Math.max(0, at + delta))]!.name);
  };
  const runSchedule = () => {
    const list = schedules ?? [];
    const current = list.find((s) => s.name === scheduleName) ?? list[0];
    const task = tasks.find((t) => t.id === "schedule:run");
    if (!current || !task) return;
    void actions.launch(task, { args: [current.name] });
  };

  const commands = dashboardCommands({
    model,
    snapshot,
    confirm,
    actions,
    logs,
    view,
    setView,
    selected: () => order.find((s) => s.name === selectedRef.current) ?? order[0],
    serviceCount: order.length,
    move: view === "schedules" ? moveSchedule : move,
    pageRows: mainRows,
    allNames,
    sort,
    setSort,
    message,
    setMessage,
    openHelp: () => {
      setHelpOffset(0);
      setOverlay({ kind: "help" });
    },
    openPalette: () => setOverlay({ kind: "palette" }),
    openMenu: (service) => setOverlay({ kind: "menu", service }),
    runSchedule,
    exit,
  });
  const inHelp = helpCommands(
    () => setOverlay({ kind: "none" }),
    (delta) => setHelpOffset((o) => Math.max(0, o + delta)),
  );

  useKeys((input, key) => {
    const name = keyName(input, key);
    if (name === "ctrl+c") return exit();
    if (view === "logs" && logs.handleKey(name, mainRows)) return;
    const binding = bindingFor(keymap, name, view, readOnly);
    if (binding) commands[binding.command](binding);
  }, { isActive: overlay.kind === "none" && !confirm.current });
  useKeys((input, key) => {
    const name = keyName(input, key);
    if (name === "ctrl+c") return exit();
    // every key of the help's own rows (close, scroll), whatever view it was opened from
    const binding = keymap.find((b) => b.keys.includes(name) && inHelp[b.command]);
    if (binding) inHelp[binding.command]!(binding);
  }, { isActive: overlay.kind === "help" && !confirm.current });

  const closeOverlay = () => setOverlay({ kind: "none" });
  const pick = (task: TaskSummary) => {
    const hasFields = task.args.length > 0 || Object.keys(task.options).length > 0;
    if (hasFields) return setOverlay({ kind: "form", task });
    closeOverlay();
    if (task.service && selected && task.service === selected.name) {
      void actions.serviceAction(selected, task.action);
    } else void actions.launch(task);
  };

  let main;
  if (confirm.current) {
    main = <ConfirmDialog key={confirm.current.id} request={confirm.current} width={width} />;
  } else if (overlay.kind === "help") {
    main = (
      <HelpView
        keymap={keymap}
        readOnly={readOnly}
        width={Math.min(width, 120)}
        height={mainRows}
        offset={helpOffset}
      />
    );
  } else if (overlay.kind === "palette") {
    main = (
      <CommandPalette
        title="run a task"
        tasks={tasks}
        searchable
        width={width}
        height={mainRows}
        onPick={pick}
        onClose={closeOverlay}
      />
    );
  } else if (overlay.kind === "menu") {
    main = (
      <CommandPalette
        title={`actions of ${overlay.service}`}
        tasks={serviceActions(tasks, overlay.service)}
        searchable={false}
        width={width}
        height={mainRows}
        onPick={pick}
        onClose={closeOverlay}
      />
    );
  } else if (overlay.kind === "form") {
    const task = overlay.task;
    main = (
      <TaskForm
        key={task.id}
        task={task}
        width={width}
        onClose={closeOverlay}
        onSubmit={(input) => {
          closeOverlay();
          void actions.launch(task, input);
        }}
      />
    );
  } else if (view === "graph") {
    main = (
      <GraphView
        services={snapshot.services}
        waves={snapshot.waves}
        selected={selected}
        width={width}
        height={mainRows}
      />
    );
  } else if (view === "schedules") {
    main = (
      <SchedulesView
        schedules={schedules}
        selected={scheduleName}
        width={width}
        height={mainRows}
        now={clock}
      />
    );
  } else if (view === "logs") {
    main = (
      <LogsView
        logs={logs.logs}
        services={logs.services}
        filter={logs.filter}
        filterDraft={logs.filterDraft}
        position={logs.position}
        wrap={logs.wrap}
        width={width}
        height={mainRows}
      />
    );
  } else {
    main = (
      <ServicesView
        services={sorted}
        selected={selected}
        running={snapshot.running}
        sort={sort}
        width={width}
        height={mainRows}
        now={clock}
      />
    );
  }

  return (
    <Box flexDirection="column" width={width} height={rows}>
      {snapshot.protected
        ? <EnvironmentBanner environment={snapshot.environment} width={width} />
        : null}
      <HeaderBar snapshot={snapshot} view={view} readOnly={readOnly} />
      <Box flexDirection="column" height={mainRows} overflow="hidden">
        <Box flexDirection="column" flexShrink={0}>{main}</Box>
      </Box>
      <RunningPanel running={snapshot.running} tick={tick} now={clock} width={width} />
      <MessagePanel message={message} maxDetails={detailRows} />
      {historyRows > 0
        ? <HistoryPanel history={snapshot.history} height={historyRows} auditLog={auditLog} />
        : null}
      {hintRows
        ? (readOnly
          ? <Text color="gray">read-only: actions are hidden</Text>
          : <ActionHints actions={selectedActions} />)
        : null}
      <KeyHints keymap={keymap} view={view} readOnly={readOnly} />
    </Box>
  );
}
