import type { StackStatus } from "../lib/stack/mod.ts";

const escape = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** A JUnit XML document with one test case per service, failed when unhealthy. */
export function junitReport(status: StackStatus): string {
  const failures = status.services.filter((s) => !s.healthy).length;
  const cases = status.services.map((s) => {
    const time = ((s.latencyMs ?? 0) / 1000).toFixed(4);
    const head = `    <testcase classname="health.${escape(status.environment)}" name="${
      escape(s.name)
    }" time="${time}">`;
    return s.healthy
      ? `${head}</testcase>`
      : `${head}\n      <failure message="${escape(`${s.state}: ${s.detail}`)}">${
        escape(s.detail)
      }</failure>\n    </testcase>`;
  });
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="hailmary-health" tests="${status.services.length}" failures="${failures}">`,
    `  <testsuite name="health.${
      escape(status.environment)
    }" tests="${status.services.length}" failures="${failures}" errors="0">`,
    ...cases,
    `  </testsuite>`,
    `</testsuites>`,
    "",
  ].join("\n");
}
