import { describeLeftover } from "../lib/leftovers/mod.ts";
import type { Output } from "../lib/output/mod.ts";
import type { LeftoversResult } from "./leftovers.ts";

/** Prints the result of `cleanup --leftovers` for a person. */
export function renderLeftovers(result: LeftoversResult, output: Output): void {
  for (const l of result.removed) output.line(`removed  ${describeLeftover(l)}`);
  for (const l of result.kept) output.line(`kept     ${describeLeftover(l)}`);
  for (const l of result.failed) output.line(`failed   ${describeLeftover(l)}: ${l.error}`);
  for (const u of result.unchecked) {
    output.line(`not checked  ${u.service} ${u.what}: ${u.reason}`);
  }
  if (result.removed.length + result.kept.length + result.failed.length === 0) {
    output.line(
      result.unchecked.length ? "no leftovers found where it could look" : "no leftovers found",
    );
  }
}
