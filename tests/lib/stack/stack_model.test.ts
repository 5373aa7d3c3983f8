import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Environment, loadEnvironment } from "../../../lib/config/mod.ts";
import { BusyError, FailedError } from "../../../lib/errors.ts";
import { runtimeFor } from "../../../lib/runtime/mod.ts";
import type { Runtime } from "../../../lib/runtime/runtime.ts";
import { LiveStackModel } from "../../../lib/stack/mod.ts";
import { createProgress } from "../../../lib/output/progress.ts";
import { defineTask } from "../../../lib/task/define_task.ts";
import { runTask } from "../../../lib/task/run_task.ts";
import { taskRegistry } from "../../../tasks/registry.ts";
import { sharedStackEnv } from "../../helpers/shared_stack.ts";

let environment: Environment;
let runtime: Runtime;
let auditDir: string;

beforeAll(async () => {
  const loaded = await loadEnvironment(sharedStackEnv());
  auditDir = await Deno.makeTempDir({ prefix: "stack-model-audit-" });
  // the audit log goes to <stateDir>/audit.log: point it at a folder of this file's own
  environment = { ...loaded, stateDir: auditDir };
  runtime = runtimeFor(environment);
});

afterAll(async () => {
  await Deno.remove(auditDir, { recursive: true }).catch(() => {});
});

async function until<T>(read: () => T, ok: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("LiveStackModel against the shared stack", () => {
  it("publishes every service healthy with pid, port and uptime, then CPU and memory", async () => {
    const model = new LiveStackModel({
      environment,
      runtime,
      intervalMs: 300,
      slowIntervalMs: 600,
      audit: false,
    });
    const updates: string[] = [];
    model.subscribe(() => updates.push(model.snapshot().updatedAt ?? "none"));
    model.open();
    try {
      const snapshot = await until(
        () => model.snapshot(),
        (s) =>
          s.services.length === 3 && s.services.every((x) => x.lifecycle === "healthy") &&
          s.services.every((x) => x.cpuPercent !== null && (x.memoryKb ?? 0) > 0),
      );
      for (const s of snapshot.services) {
        const info = await runtime.inspect(
          environment.services.find((c) => c.definition.name === s.name)!,
        );
        expect(s.pid).toBe(info.pid);
        expect(s.port).toBeGreaterThan(0);
        expect(s.uptimeSeconds).toBeGreaterThanOrEqual(0);
        expect(s.latencyMs).not.toBeNull();
        expect(s.cpuPercent).toBeGreaterThanOrEqual(0);
      }
      // OpenSearch's JVM alone holds far more than a few MB
      expect(snapshot.services.find((s) => s.name === "opensearch")!.memoryKb).toBeGreaterThan(
        100_000,
      );
      expect(snapshot.waves.flat().sort()).toEqual(["opensearch", "postgres", "redis"]);
      expect(updates.length).toBeGreaterThan(2);
    } finally {
      await model.close();
    }
  });

  it("follows the logs of several services merged into one bounded stream", async () => {
    const model = new LiveStackModel({ environment, runtime, audit: false });
    const stream = model.logs(["postgres", "redis"], { tail: 20, capacity: 30 });
    try {
      const logs = await until(
        () => stream.snapshot(),
        (s) => new Set(s.lines.map((l) => l.service)).size === 2,
      );
      expect(logs.lines.length).toBeLessThanOrEqual(30);
      expect(logs.lines.length).toBeGreaterThan(2);
      expect(stream.services).toEqual(["postgres", "redis"]);
    } finally {
      stream.close();
      await model.close();
    }
  });
});

describe("LiveStackModel actions", () => {
  const password = () =>
    environment.services.find((s) => s.definition.name === "redis")!.secrets.password!;
  let release: () => void = () => {};
  const testTasks = [
    defineTask({
      id: "test:leak",
      summary: "prints a secret",
      action: "leak",
      permissions: "observe",
      options: { token: { type: "string", description: "a secret-looking option" } },
      run: (ctx) => {
        ctx.output.warn(`the password is ${password()}`);
        return Promise.resolve({ password: password() });
      },
      render: (result, output) => output.line(`password ${result.password} works`),
    }),
    defineTask({
      id: "test:wipe",
      summary: "asks first",
      action: "wipe",
      permissions: "ops",
      dangerous: true,
      options: {},
      run: async (ctx) => {
        await ctx.confirm("wipe the test data");
        return { wiped: true };
      },
    }),
    defineTask({
      id: "redis:test-copy",
      summary: "reports progress until released",
      service: "redis",
      action: "test-copy",
      permissions: "ops",
      options: {},
      run: async (ctx) => {
        ctx.output.info("copying 3/10 files");
        await new Promise<void>((resolve) => (release = resolve));
        return { copied: 10 };
      },
    }),
    defineTask({
      id: "test:bytes",
      summary: "reports byte progress through lib/output/progress.ts until released",
      action: "bytes",
      permissions: "ops",
      options: {},
      run: async (ctx) => {
        const progress = createProgress(ctx.output, { label: "copy", total: 4096 });
        progress.update(1024);
        await new Promise<void>((resolve) => (release = resolve));
        progress.done();
        return { copied: 4096 };
      },
    }),
    defineTask({
      id: "test:hang",
      summary: "waits until cancelled",
      action: "hang",
      permissions: "ops",
      options: {},
      run: (ctx) =>
        new Promise((_resolve, reject) =>
          ctx.signal.addEventListener("abort", () => reject(new FailedError("stopped waiting")))
        ),
    }),
  ];

  function model() {
    return new LiveStackModel({
      environment,
      runtime,
      actions: { tasks: [...taskRegistry(), ...testTasks], runTask },
    });
  }

  it("runs a registry task in-process and records it in the history and the audit log", async () => {
    const m = model();
    try {
      const record = await m.run({ taskId: "redis:validate-deps" });
      expect(record.exitCode).toBe(0);
      expect(record.message).toBe("redis has no dependencies");
      expect(m.snapshot().history.at(-1)).toEqual(record);
      const audit = (await Deno.readTextFile(`${auditDir}/audit.log`)).trim().split("\n").map((l) =>
        JSON.parse(l)
      );
      expect(audit.at(-1)).toMatchObject({
        task: "redis:validate-deps",
        service: "redis",
        environment: environment.name,
        source: "dashboard",
        exitCode: 0,
        status: "ok",
      });
    } finally {
      await m.close();
    }
  });

  it("never lets a secret into a record, a message or the audit log", async () => {
    const m = model();
    try {
      const record = await m.run({ taskId: "test:leak", options: { token: "hunter22-token" } });
      expect(record.message).toBe("password *** works");
      expect(record.output).toContain("warning: the password is ***");
      expect(record.options).toEqual({ token: "***" });
      const audit = await Deno.readTextFile(`${auditDir}/audit.log`);
      expect(audit).toContain("test:leak");
      expect(audit).not.toContain(password());
      expect(audit).not.toContain("hunter22-token");
      expect(JSON.stringify(m.snapshot())).not.toContain(password());
    } finally {
      await m.close();
    }
  });

  it("asks the task's own confirmation through ask and honours the answer", async () => {
    const m = model();
    const questions: string[] = [];
    try {
      const declined = await m.run({
        taskId: "test:wipe",
        ask: (q) => (questions.push(q), Promise.resolve("n")),
      });
      expect(declined.exitCode).toBe(2);
      expect(declined.message).toBe("not confirmed: wipe the test data was not done");
      const agreed = await m.run({ taskId: "test:wipe", ask: () => Promise.resolve("y") });
      expect(agreed.exitCode).toBe(0);
      expect(questions[0]).toContain("About to wipe the test data in");
    } finally {
      await m.close();
    }
  });

  it("shows a running task's progress, refuses a second action on the same service", async () => {
    const m = model();
    try {
      const running = m.run({ taskId: "redis:test-copy" });
      const snapshot = await until(
        () => m.snapshot(),
        (s) => s.running[0]?.progress !== null && s.running.length === 1,
      );
      expect(snapshot.running[0]).toMatchObject({
        taskId: "redis:test-copy",
        service: "redis",
        progress: 0.3,
        message: "copying 3/10 files",
      });
      await expect(m.run({ taskId: "redis:validate-deps" })).rejects.toBeInstanceOf(BusyError);
      release();
      expect((await running).exitCode).toBe(0);
      expect(m.snapshot().running).toEqual([]);
    } finally {
      await m.close();
    }
  });

  it("shows the bar of a task that reports progress with the shared progress reporter", async () => {
    const m = model();
    try {
      const running = m.run({ taskId: "test:bytes" });
      const snapshot = await until(
        () => m.snapshot(),
        (s) => s.running[0]?.progress !== null && s.running.length === 1,
      );
      expect(snapshot.running[0]).toMatchObject({
        progress: 0.25,
        message: "copy: 1.00 KiB of 4.00 KiB",
      });
      release();
      expect((await running).exitCode).toBe(0);
    } finally {
      await m.close();
    }
  });

  it("cancels a running action through its abort signal", async () => {
    const m = model();
    try {
      const running = m.run({ taskId: "test:hang" });
      const id = (await until(() => m.snapshot().running, (r) => r.length === 1))[0]!.id;
      m.cancel(id);
      const record = await running;
      expect(record.exitCode).toBe(1);
      expect(record.message).toBe("cancelled: stopped waiting");
    } finally {
      await m.close();
    }
  });
});
