/**
 * The test suite as `./ops test` and CI run it: the main files first, then the
 * dashboard's terminal end-to-end tests on their own (it drives a real tmux
 * terminal and needs the machine to itself), each with its own JSON report
 * that `.ci/run` adds up. The second run happens even when the first fails, so
 * both reports always exist; the exit code is the first failure's.
 *
 * With arguments (`./ops test tests/tasks/redis.test.ts -t restore`), one
 * vitest run with those arguments instead.
 * @module
 */

const vitest = ["run", "-A", "npm:vitest@4.1.12", "run"];
const terminalTests = [
  "tests/tui/dashboard_e2e.test.ts",
  "tests/tui/dashboard_schedule_e2e.test.ts",
];

async function run(args: string[]): Promise<number> {
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: [...vitest, ...args],
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return code;
}

if (import.meta.main) {
  if (Deno.args.length > 0) Deno.exit(await run(Deno.args));
  const main = await run(terminalTests.flatMap((file) => ["--exclude", file]));
  const terminal = await run([
    ...terminalTests,
    "--outputFile.json=.ops/test-results-terminal.json",
  ]);
  Deno.exit(main !== 0 ? main : terminal);
}
