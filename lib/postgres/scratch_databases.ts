import type { ConfiguredService } from "../config/mod.ts";
import {
  describeOwner,
  type FoundLeftover,
  myOwnerToken,
  ownerState,
  ownerTokenSource,
  parseOwnerToken,
} from "../leftovers/mod.ts";
import type { Runtime } from "../runtime/runtime.ts";
import { ident, superuserQuery } from "./superuser_psql.ts";

/** Every database a task makes for itself starts with this. */
export const scratchDatabasePrefix = "ops_tmp_";

/**
 * What a scratch database is for: `restore` (postgres:restore fills it, then
 * swaps it in), `verify` (postgres:verify --restore-test), `old` (the database
 * a restore replaced, until it is dropped).
 */
export type ScratchPurpose = "restore" | "verify" | "old";

const namePattern = new RegExp(
  `^${scratchDatabasePrefix}(restore|verify|old)_(${ownerTokenSource})_[0-9a-f]{4}$`,
);

/**
 * A new scratch database name: `ops_tmp_<purpose>_<pid>_<start>_<host>_<random>`,
 * naming this process so a later run can tell whether it is still in use.
 */
export async function scratchDatabaseName(purpose: ScratchPurpose): Promise<string> {
  const random = Array.from(
    crypto.getRandomValues(new Uint8Array(2)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  return `${scratchDatabasePrefix}${purpose}_${await myOwnerToken()}_${random}`;
}

/**
 * The scratch databases on the server, each marked stale when the run that
 * made it is gone. Names with the prefix but without an owner (made by hand)
 * are left out.
 * @throws {PostgresGoneError} when the server is not there.
 */
export async function findScratchDatabases(
  runtime: Runtime,
  service: ConfiguredService,
): Promise<FoundLeftover[]> {
  const rows = await superuserQuery(
    runtime,
    service,
    "postgres",
    `select datname from pg_database where datname like '${
      scratchDatabasePrefix.replace(/_/g, "\\_")
    }%' order by 1`,
  );
  const found: FoundLeftover[] = [];
  for (const [name = ""] of rows) {
    const m = namePattern.exec(name);
    const owner = m ? parseOwnerToken(m[2]!) : undefined;
    if (!owner) continue;
    const state = await ownerState(owner);
    found.push({
      leftover: {
        service: service.definition.name,
        kind: "scratch database",
        name,
        location: `${service.definition.name} server`,
        owner: describeOwner(owner, state),
        stale: state === "dead",
      },
      remove: () =>
        superuserQuery(
          runtime,
          service,
          "postgres",
          `drop database if exists ${ident(name)} with (force)`,
        ).then(() => {}),
    });
  }
  return found;
}
