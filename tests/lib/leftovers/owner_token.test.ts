import { describe, expect, it } from "vitest";
import {
  formatOwnerToken,
  hostTag,
  myOwnerToken,
  ownerState,
  parseOwnerToken,
} from "../../../lib/leftovers/owner_token.ts";
import { processStart } from "../../../lib/runtime/proc.ts";

describe("owner tokens", () => {
  it("read back what they write, on the boot clock and on the wall clock", () => {
    const host = hostTag("db-1.example");
    expect(host).toMatch(/^[0-9a-f]{4}$/);
    const boot = { pid: 4321, start: { startedEpoch: 1_700_000_000, sinceInit: 98_765 }, host };
    expect(formatOwnerToken(boot)).toBe(`4321_b98765_${host}`);
    expect(parseOwnerToken(formatOwnerToken(boot))).toMatchObject({
      pid: 4321,
      start: { sinceInit: 98_765 },
      host,
    });
    const wall = { pid: 7, start: { startedEpoch: 1_700_000_000, sinceInit: NaN }, host };
    expect(parseOwnerToken(formatOwnerToken(wall))).toEqual({
      pid: 7,
      start: { startedEpoch: 1_700_000_000 },
      host,
    });
    expect(parseOwnerToken("12_x5_abcd")).toBeUndefined();
    expect(parseOwnerToken(`12_b5_${host}_extra`)).toBeUndefined();
  });

  it("tell a running owner from a gone one, a reused pid and another host", async () => {
    const mine = parseOwnerToken(await myOwnerToken())!;
    expect(mine.pid).toBe(Deno.pid);
    expect(await ownerState(mine)).toBe("alive");

    const child = new Deno.Command("sleep", { args: ["30"] }).spawn();
    const start = (await processStart(child.pid))!;
    const owner = { pid: child.pid, start, host: hostTag(Deno.hostname()) };
    expect(await ownerState(owner)).toBe("alive");
    // the same pid started at another time is not the owner
    expect(await ownerState({ ...owner, start: { ...start, sinceInit: start.sinceInit! - 60 } }))
      .toBe("dead");
    child.kill("SIGKILL");
    await child.status;
    expect(await ownerState(owner)).toBe("dead");
    expect(
      await ownerState({ ...owner, pid: Deno.pid, host: "0000" === owner.host ? "ffff" : "0000" }),
    )
      .toBe("elsewhere");
  });
});
