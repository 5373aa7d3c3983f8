import type { StackStatus } from "../lib/stack/mod.ts";

const escape = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")
    // XML 1.0 has no place for control characters besides tab and newlines
    // deno-lint-ignore no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "");

/**
 * A JUnit XML document as CI systems read it: one `testsuite` for the
 * environment, one `testcase` per service (`classname` the environment,
 * `name` the service, `time` the probe latency in seconds), and a `failure`
 * carrying the probe's detail for an unhealthy service.
 */
export function junitReport(status: StackStatus, at: Date = new Date()): string {
  const env = escape(status.environment);
  const failures = status.services.filter((s) => !s.healthy).length;
  const seconds = (s: StackStatus["services"][number]) => (s.latencyMs ?? 0) / 1000;
  const total = status.services.reduce((sum, s) => sum + seconds(s), 0);
  const cases = status.services.map((s) => {
    const head = `    <testcase classname="${env}" name="${escape(s.name)}" time="${
      seconds(s).toFixed(3)
    }">`;
    return s.healthy
      ? `${head}</testcase>`
      : `${head}\n      <failure message="${
        escape(`${s.name} is ${s.state}: ${s.detail}`)
      }" type="unhealthy">${escape(s.detail)}</failure>\n    </testcase>`;
  });
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="health" tests="${status.services.length}" failures="${failures}" errors="0" time="${
      total.toFixed(3)
    }">`,
    `  <testsuite name="${env}" tests="${status.services.length}" failures="${failures}" errors="0" skipped="0" time="${
      total.toFixed(3)
    }" timestamp="${at.toISOString().slice(0, 19)}">`,
    ...cases,
    `  </testsuite>`,
    `</testsuites>`,
    "",
  ].join("\n");
}
