/**
 * Web tasks: `web:build` (type-check the app), `web:dev` (run it in the
 * foreground, restarting on change) and `web:smoke` (an end-to-end check
 * over HTTP). start/stop/restart/logs come with the service folder.
 * @module
 */
import { errorMessage, FailedError, UsageError } from "../lib/errors.ts";
import type { Output } from "../lib/output/output.ts";
import { type AnyTask, defineTask } from "../lib/task/define_task.ts";
import type { TaskContext } from "../lib/task/task_context.ts";
import { serviceHost } from "../lib/service/service_context.ts";

/** The Deno entry point of the web app, read from its launch command (so a swapped-in app is checked too). */
async function webLaunch(
  ctx: TaskContext,
): Promise<{ command: string[]; env: Record<string, string>; entry: string; cwd: string }> {
  const { serviceContext } = await import("../lib/service/service_context.ts");
  const service = ctx.service("web");
  const spec = service.definition.native(serviceContext(ctx.environment, service));
  const [program, verb] = spec.command;
  const entry = spec.command.at(-1) ?? "";
  if (
    !program || !/(^|\/)deno$/.test(program) || verb !== "run" || !/\.(ts|tsx|js|mjs)$/.test(entry)
  ) {
    throw new UsageError(
      `the web service does not run a Deno app (${spec.command.slice(0, 3).join(" ")} ...)`,
      "web:build and web:dev work with `deno run ... ENTRY`; build other apps with their own tools",
    );
  }
  return {
    command: spec.command,
    env: spec.env ?? {},
    entry,
    cwd: spec.cwd ?? ctx.environment.stateDir,
  };
}

/** The result of `web:build`. */
export interface WebBuildResult {
  entry: string;
  ok: boolean;
  /** The checker's diagnostics when it failed. */
  diagnostics: string;
  durationMs: number;
}

async function build(ctx: TaskContext): Promise<WebBuildResult> {
  const { entry, command } = await webLaunch(ctx);
  const config = command.find((a) => a.startsWith("--config="));
  const began = performance.now();
  const { code, stdout, stderr } = await new Deno.Command(command[0]!, {
    args: ["check", "--quiet", ...(config ? [config] : []), entry],
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    stdout: "piped",
    stderr: "piped",
    signal: ctx.signal,
  }).output();
  const text = (new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr)).trim();
  return {
    entry,
    ok: code === 0,
    diagnostics: code === 0 ? "" : text,
    durationMs: Math.round(performance.now() - began),
  };
}

/** One check of `web:smoke`. */
export interface SmokeCheck {
  name: string;
  ok: boolean;
  detail: string;
  ms: number;
}

/** The result of `web:smoke`. */
export interface SmokeReport {
  url: string;
  ok: boolean;
  checks: SmokeCheck[];
}

async function smoke(ctx: TaskContext, query: string | undefined): Promise<SmokeReport> {
  const web = ctx.service("web");
  const base = `http://${serviceHost(web)}:${web.port}`;
  const checks: SmokeCheck[] = [];
  const check = async (name: string, run: () => Promise<string>) => {
    const began = performance.now();
    try {
      const detail = await run();
      checks.push({ name, ok: true, detail, ms: Math.round(performance.now() - began) });
    } catch (error) {
      checks.push({
        name,
        ok: false,
        detail: errorMessage(error),
        ms: Math.round(performance.now() - began),
      });
    }
  };
  const get = async (path: string) => {
    const response = await fetch(base + path, { signal: AbortSignal.timeout(10_000) });
    const text = await response.text();
    return { status: response.status, text, type: response.headers.get("content-type") ?? "" };
  };
  await check("health", async () => {
    const r = await get("/health");
    const body = JSON.parse(r.text) as {
      status?: string;
      dependencies?: Record<string, { ok: boolean; detail: string }>;
    };
    const bad = Object.entries(body.dependencies ?? {}).filter(([, d]) => !d.ok).map(([n, d]) =>
      `${n}: ${d.detail}`
    );
    if (r.status !== 200) {
      throw new Error(`HTTP ${r.status}${bad.length ? `: ${bad.join("; ")}` : ""}`);
    }
    return `${body.status}, dependencies ${Object.keys(body.dependencies ?? {}).join(", ")}`;
  });
  await check("search page", async () => {
    const r = await get("/");
    if (
      r.status !== 200 || !r.type.startsWith("text/html") || !r.text.includes('id="search-form"')
    ) {
      throw new Error(`HTTP ${r.status} ${r.type}: not the search page`);
    }
    const js = await get("/search.js");
    if (js.status !== 200) throw new Error(`/search.js: HTTP ${js.status}`);
    return "HTML form and script served";
  });
  await check("bad request refused", async () => {
    const r = await get("/api/search");
    if (r.status !== 400) {
      throw new Error(`/api/search without q answered HTTP ${r.status}, expected 400`);
    }
    return "HTTP 400 without q";
  });
  // a known document: the one given by --query, else the most recently stored one
  let known: { id: string; title: string } | undefined;
  await check("a known document", async () => {
    if (query) return `searching for ${JSON.stringify(query)}`;
    const { endpointsFromEnvironment } = await import("../lib/ingest/pipeline_endpoints.ts");
    const { openPostgres } = await import("../lib/ingest/pipeline_clients.ts");
    const sql = await openPostgres(endpointsFromEnvironment(ctx.environment), { max: 1 });
    try {
      const rows = await sql<{ id: string; title: string }[]>`
        select id, title from documents where indexed_hash = content_hash and title ~ '[[:alnum:]]'
        order by updated_at desc, id desc limit 1`;
      known = rows[0] ? { id: String(rows[0].id), title: rows[0].title } : undefined;
    } finally {
      await sql.end({ timeout: 5 });
    }
    return known
      ? `document ${known.id} ${JSON.stringify(known.title)}`
      : "no indexed document yet";
  });
  const q = query ?? known?.title;
  if (q) {
    await check("search", async () => {
      type Answer = {
        total: number;
        hits: { id: string; title: string; snippet: string; score: number }[];
      };
      // a document indexed a moment ago becomes searchable at the index's next refresh
      const deadline = Date.now() + 12_000;
      let body: Answer;
      for (;;) {
        const r = await get(`/api/search?q=${encodeURIComponent(q)}&size=50`);
        if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${r.text.slice(0, 200)}`);
        body = JSON.parse(r.text) as Answer;
        if (typeof body.total !== "number" || !Array.isArray(body.hits)) {
          throw new Error("not {total, hits}");
        }
        const found = known ? body.hits.some((h) => h.id === known!.id) : body.total > 0;
        if (found || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      if (body.total === 0) throw new Error(`no hit for ${JSON.stringify(q)}`);
      if (known && !body.hits.some((h) => h.id === known!.id)) {
        throw new Error(`document ${known.id} is not among the ${body.hits.length} first hits`);
      }
      known ??= { id: body.hits[0]!.id, title: body.hits[0]!.title };
      return `${body.total} hit(s)`;
    });
    if (known) {
      const doc = known;
      await check("document", async () => {
        const r = await get(`/api/documents/${doc.id}`);
        if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${r.text.slice(0, 200)}`);
        const body = JSON.parse(r.text) as { id: string; title: string };
        if (body.id !== doc.id || body.title !== doc.title) {
          throw new Error("another document came back");
        }
        return `document ${doc.id} served`;
      });
    }
  }
  return { url: base, ok: checks.every((c) => c.ok), checks };
}

function renderSmoke(r: SmokeReport, output: Output): void {
  for (const c of r.checks) {
    const mark = c.ok ? output.style("ok", "green") : output.style("FAILED", "red");
    output.line(`${mark}  ${c.name}: ${c.detail} (${c.ms} ms)`);
  }
  output.line(r.ok ? `web at ${r.url} works end to end` : `web at ${r.url} failed a check`);
}

/** The web app's tasks. */
export function webTasks(): AnyTask[] {
  const buildTask = defineTask({
    id: "web:build",
    summary: "Type-check the web app (its entry point and everything it imports)",
    service: "web",
    action: "build",
    permissions: "ops",
    options: {},
    run: build,
    render: (r, output) => {
      if (r.ok) {
        output.line(`${r.entry}: type check passed in ${(r.durationMs / 1000).toFixed(1)} s`);
      } else output.line(`${r.entry}: type check failed:\n${r.diagnostics}`);
    },
    exitCode: (r) => (r.ok ? 0 : 1),
  });
  const dev = defineTask({
    id: "web:dev",
    summary: "Run the web app in the foreground, restarting when its files change (Ctrl-C stops)",
    service: "web",
    action: "dev",
    permissions: "ops",
    options: {},
    run: async (ctx) => {
      const info = await ctx.runtime.inspect(ctx.service("web"));
      if (info.state === "running" || info.state === "starting") {
        throw new UsageError(
          `web is already running (pid ${info.pid}) on port ${ctx.service("web").port}`,
          "stop it first with ./ops web:stop",
        );
      }
      const { command, env, cwd } = await webLaunch(ctx);
      const args = [...command.slice(1)];
      args.splice(args.indexOf("run") + 1, 0, "--watch");
      ctx.output.info(
        `web: running ${command[0]} ${args.slice(0, 2).join(" ")} ... (Ctrl-C stops)`,
      );
      const child = new Deno.Command(command[0]!, {
        args,
        env: {
          PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
          HOME: Deno.env.get("HOME") ?? "/root",
          ...env,
        },
        clearEnv: true,
        cwd,
        stdin: "null",
        stdout: "inherit",
        stderr: "inherit",
      }).spawn();
      const stop = () => {
        try {
          child.kill("SIGTERM");
        } catch {
          // already gone
        }
      };
      ctx.signal.addEventListener("abort", stop, { once: true });
      const status = await child.status;
      ctx.signal.removeEventListener("abort", stop);
      if (!ctx.signal.aborted && status.code !== 0) {
        throw new FailedError(`the web app exited with ${status.code}`);
      }
      return { exitCode: status.code };
    },
  });
  const smokeTask = defineTask({
    id: "web:smoke",
    summary: "Check the running web app end to end over HTTP: health, page, search, a document",
    service: "web",
    action: "smoke",
    permissions: "ops",
    options: {
      query: {
        type: "string",
        description: "search for this text (default: the title of the latest indexed document)",
        placeholder: "TEXT",
      },
    },
    run: (ctx, { options }) => smoke(ctx, options.query),
    render: renderSmoke,
    exitCode: (r) => (r.ok ? 0 : 1),
  });
  return [buildTask, dev, smokeTask];
}
