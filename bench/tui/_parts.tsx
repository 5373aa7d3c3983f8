import { EventEmitter } from "node:events";
import process from "node:process";
import { Box, render } from "ink";
import { useSyncExternalStore } from "react";
import { StaticStackModel } from "../../lib/stack/mod.ts";
import { ServiceTable } from "../../tui/components/ServiceTable.tsx";
import { HeaderBar } from "../../tui/components/HeaderBar.tsx";
import { KeyHints } from "../../tui/components/KeyHints.tsx";
import { ActionHints } from "../../tui/components/ActionHints.tsx";
import { HistoryPanel } from "../../tui/components/HistoryPanel.tsx";
import { defaultKeymap } from "../../tui/keymap.ts";
import { ServicesView } from "../../tui/views/ServicesView.tsx";
import { Dashboard } from "../../tui/Dashboard.tsx";
import { syntheticStack } from "./synthetic_stack.ts";
class Out extends EventEmitter {
  columns = 160;
  rows = 48;
  isTTY = true;
  onWrite: (() => void) | undefined;
  write = (_f: string) => {
    this.onWrite?.();
    return true;
  };
}
class In extends EventEmitter {
  isTTY = true;
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read = () => null;
}
const model = new StaticStackModel({ snapshot: syntheticStack(100, 0), tasks: [] });
const which = Deno.args[0] ?? "table";
function App() {
  const s = useSyncExternalStore((l) => model.subscribe(l), () => model.snapshot());
  const now = Date.now();
  if (which === "table") {
    return (
      <ServiceTable
        services={s.services}
        selected="svc-010"
        running={[]}
        width={160}
        height={40}
        now={now}
      />
    );
  }
  if (which === "view") {
    return (
      <ServicesView
        services={s.services}
        selected={s.services[10]}
        running={[]}
        sort="name"
        width={160}
        height={40}
        now={now}
      />
    );
  }
  if (which === "chrome") {
    return (
      <Box flexDirection="column">
        <HeaderBar snapshot={s} view="services" readOnly={false} />
        <HistoryPanel history={[]} height={2} auditLog={null} />
        <ActionHints actions={[]} />
        <KeyHints keymap={defaultKeymap} view="services" readOnly={false} />
      </Box>
    );
  }
  if (which === "boxed") {
    return (
      <Box flexDirection="column" width={160} height={48}>
        <Box height={42} overflow="hidden" flexDirection="column">
          <Box flexShrink={0} flexDirection="column">
            <ServicesView
              services={s.services}
              selected={s.services[10]}
              running={[]}
              sort="name"
              width={160}
              height={42}
              now={now}
            />
          </Box>
        </Box>
      </Box>
    );
  }
  if (which === "nooverflow") {
    return (
      <Box flexDirection="column" width={160} height={48}>
        <Box height={42} flexDirection="column">
          <ServicesView
            services={s.services}
            selected={s.services[10]}
            running={[]}
            sort="name"
            width={160}
            height={42}
            now={now}
          />
        </Box>
      </Box>
    );
  }
  if (which === "noheight") {
    return (
      <Box flexDirection="column" width={160}>
        <ServicesView
          services={s.services}
          selected={s.services[10]}
          running={[]}
          sort="name"
          width={160}
          height={42}
          now={now}
        />
      </Box>
    );
  }
  return <Dashboard model={model} />;
}
const out = new Out();
const rt: number[] = [];
const inst = render(<App />, {
  stdout: out as never,
  stderr: new Out() as never,
  stdin: new In() as never,
  interactive: true,
  maxFps: 20,
  exitOnCtrlC: false,
  patchConsole: false,
  onRender: (m) => rt.push(m.renderTime),
});
await new Promise((r) => setTimeout(r, 100));
const t: number[] = [];
const c: number[] = [];
for (let i = 1; i < 80; i++) {
  await new Promise((r) => setTimeout(r, 55));
  const next = syntheticStack(100, i);
  const w = new Promise<void>((r) => (out.onWrite = r));
  const s = performance.now();
  const cu = process.cpuUsage();
  model.setSnapshot(next);
  await w;
  const d = process.cpuUsage(cu);
  if (i >= 10) {
    t.push(performance.now() - s);
    c.push((d.user + d.system) / 1000);
  }
}
t.sort((a, b) => a - b);
rt.sort((a, b) => a - b);
c.sort((a, b) => a - b);
console.log(
  which.padEnd(10),
  "frame",
  t[35]!.toFixed(2),
  "cpu",
  c[35]!.toFixed(2),
  "ink output",
  rt[Math.floor(rt.length / 2)]!.toFixed(2),
);
inst.unmount();
Deno.exit(0);
