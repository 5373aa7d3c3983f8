import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { stringify } from "yaml";
import { lazyImportsFlag } from "../../../lib/cli/deno_task_entries.ts";
import { freePort, ops, root } from "../../helpers/test_stack.ts";

// A relative `--env FILE` is taken from the folder the command is typed in (as output
// files are), a bare name stays the checkout's environments/<name>.yaml. Each run types
// the command in a temporary folder outside the checkout, through ./ops, stdin /dev/null.

let dir: string;
const envName = "typed";

beforeAll(async () => {
  dir = await Deno.makeTempDir({ prefix: "ops-env-cwd-" });
  await Deno.mkdir(join(dir, "cron"));
  await Deno.writeTextFile(
    join(dir, `${envName}.yaml`),
    stringify({
      name: envName,
      runtime: "native",
      protected: false,
      stateDir: join(dir, "state"),
      backupDir: join(dir, "backups"),
      // nothing listens on these ports: the services are stopped
      services: { postgres: { port: freePort() }, redis: { port: freePort() } },
      schedules: [{ name: "look", cron: "*/5 * * * *", task: "status", timeout: 60 }],
    }),
  );
});
afterAll(async () => {
  await Deno.remove(dir, { recursive: true });
});

describe("a relative --env path", () => {
  it("config:validate reads it from the folder the command is typed in", async () => {
    const run = await ops(
      `./${envName}.yaml`,
      ["config:validate", `./${envName}.yaml`, "--renderer", "builtin", "--json"],
      { cwd: dir },
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as {
      environments: { environment: string; file: string }[];
    };
    expect(result.environments.map((e) => [e.environment, e.file])).toEqual([
      [envName, join(dir, `${envName}.yaml`)],
    ]);
  });

  it("status reports the environment's services stopped", async () => {
    const run = await ops(`${envName}.yaml`, ["status", "--json"], { cwd: dir });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as {
      environment: string;
      services: { name: string; state: string }[];
    };
    expect(result.environment).toBe(envName);
    expect(result.services.map((s) => [s.name, s.state])).toEqual([
      ["postgres", "stopped"],
      ["redis", "stopped"],
    ]);
  });

  it("that does not exist exits 2 naming the absolute path and the folder", async () => {
    const run = await ops("./missing.yaml", ["status", "--json"], { cwd: dir });
    expect(run.code).toBe(2);
    const { error } = JSON.parse(run.stdout) as { error: { message: string; hint: string } };
    expect(error.message).toBe(
      `environment file ${join(dir, "missing.yaml")} does not exist ` +
        `("./missing.yaml" is taken from ${dir})`,
    );
    expect(error.hint).toContain("the name of a shipped environment: cluster, local");
    expect(run.stderr).toContain(`error: environment file ${join(dir, "missing.yaml")}`);
  });

  it("reaches the run started again with wider grants, and cron gets the absolute path", async () => {
    // the state folder and the cron folder are outside the "ops" set: the CLI starts itself
    // again (in the checkout) with them granted, and that run must read the same file
    const install = await ops(
      `./${envName}.yaml`,
      ["schedule:install", "--cron-dir", "./cron", "--json"],
      { cwd: dir },
    );
    expect(install.code, install.stderr).toBe(0);
    const cronFile = join(dir, "cron", `hailmary-${envName}`);
    const text = await Deno.readTextFile(cronFile);
    expect(text).toContain(
      `${join(root, "ops")} schedule:run look --env ${join(dir, `${envName}.yaml`)} `,
    );
    const uninstall = await ops(
      `./${envName}.yaml`,
      ["schedule:uninstall", "--cron-dir", "./cron", "--json"],
      { cwd: dir },
    );
    expect(uninstall.code, uninstall.stderr).toBe(0);
    await expect(Deno.stat(cronFile)).rejects.toThrow(Deno.errors.NotFound);
  });

  it("started without ./ops (no OPS_CWD) is taken from the process's folder, in the re-run too", async () => {
    const deno = join(root, ".ops", "bin", "deno");
    const { OPS_CWD: _typedIn, ...inherited } = Deno.env.toObject();
    const { code, stdout, stderr } = await new Deno.Command(deno, {
      args: [
        "run",
        "-q",
        `--config=${join(root, "deno.json")}`,
        "-P=ops",
        lazyImportsFlag,
        join(root, "tasks", "cli.ts"),
        "schedule:install",
        "--cron-dir",
        "cron",
        "--env",
        `${envName}.yaml`,
        "--json",
      ],
      cwd: dir,
      clearEnv: true,
      env: { ...inherited, NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoded = new TextDecoder().decode(stderr);
    expect(code, decoded).toBe(0);
    expect(JSON.parse(new TextDecoder().decode(stdout))).toMatchObject({
      environment: envName,
      file: join(dir, "cron", `hailmary-${envName}`),
      change: "written",
    });
    await ops(`./${envName}.yaml`, ["schedule:uninstall", "--cron-dir", "./cron"], { cwd: dir });
  });
});

describe("a bare --env name typed in another folder", () => {
  it("is still the checkout's environments/<name>.yaml", async () => {
    await Deno.writeTextFile(join(dir, "local.yaml"), "not: an environment\n");
    const run = await ops(
      "local",
      ["config:validate", "local", "--renderer", "builtin", "--json"],
      {
        cwd: dir,
      },
    );
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as {
      environments: { environment: string; file: string }[];
    };
    expect(result.environments.map((e) => [e.environment, e.file])).toEqual([
      ["local", "environments/local.yaml"],
    ]);
  });
});

describe("a hint for an environment loaded from a file", () => {
  it("names the file's absolute path, so the command it gives runs from any folder", async () => {
    const file = join(dir, "swarmless.yaml");
    await Deno.writeTextFile(
      file,
      stringify({
        name: "swarmless",
        runtime: "swarm",
        stateDir: join(dir, "swarmless-state"),
        backupDir: join(dir, "swarmless-backups"),
        services: { redis: { port: freePort() } },
      }),
    );
    const run = await ops("./swarmless.yaml", ["nodes", "--json"], { cwd: dir });
    expect(run.code, run.stderr).toBe(2);
    const { error } = JSON.parse(run.stdout) as { error: { message: string; hint: string } };
    expect(error.message).toMatch(/no cluster is there/);
    expect(error.hint).toBe(`make one with ./ops cluster:create --nodes 3 --env ${file}`);
  });
});
