import { Buffer } from "node:buffer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadEnvironment } from "../../../lib/config/mod.ts";
import {
  connectRedis,
  parseKeyspace,
  type RedisConnection,
  scanMatchingKeys,
  unlinkMatchedKeys,
} from "../../../lib/redis/mod.ts";
import { sharedStackEnv } from "../../helpers/shared_stack.ts";

// a database of its own: no other test file uses db 13
const db = 13;
const prefix = `scan${crypto.randomUUID().slice(0, 6)}`;
let client: RedisConnection;

beforeAll(async () => {
  const environment = await loadEnvironment(sharedStackEnv());
  client = await connectRedis(environment.services.find((s) => s.definition.name === "redis")!, {
    database: db,
  });
});

afterAll(async () => {
  await client.flushDb();
  await client.close();
});

async function seed(tag: string, n: number): Promise<void> {
  await Promise.all(
    Array.from({ length: n }, (_, i) => client.set(`${prefix}:${tag}:${i}`, "v")),
  );
}

describe("scanning and unlinking keys", () => {
  it("removes exactly the keys it counted, not keys created after the count", async () => {
    await seed("kept", 2500);
    const matched = await scanMatchingKeys(client, `${prefix}:kept:*`, { batch: 100 });
    expect(matched.count).toBe(2500);
    expect(matched.pages).not.toBeNull();
    await client.set(`${prefix}:kept:late`, "created after the count");
    const removed = await unlinkMatchedKeys(client, `${prefix}:kept:*`, matched);
    expect(removed).toBe(2500);
    expect(await client.keys(`${prefix}:kept:*`)).toEqual([`${prefix}:kept:late`]);
  });

  it("scans again when the matched keys exceed the memory budget", async () => {
    await seed("big", 1200);
    // a key that is not valid UTF-8 must be removed byte for byte on this path too
    await client.set(
      Buffer.concat([Buffer.from(`${prefix}:big:`), Buffer.from([0xc3, 0x28])]),
      "v",
    );
    const matched = await scanMatchingKeys(client, `${prefix}:big:*`, { maxBytes: 1000 });
    expect(matched).toEqual({ count: 1201, pages: null });
    const removed = await unlinkMatchedKeys(client, `${prefix}:big:*`, matched, { batch: 50 });
    expect(removed).toBe(1201);
    expect(await client.keys(`${prefix}:big:*`)).toEqual([]);
  });

  it("reads key counts per database from INFO keyspace", () => {
    expect(
      parseKeyspace(
        "# Keyspace\r\ndb0:keys=12,expires=3,avg_ttl=100\r\ndb7:keys=1,expires=0,avg_ttl=0\r\n",
      ),
    )
      .toEqual({ db0: { keys: 12, expires: 3 }, db7: { keys: 1, expires: 0 } });
  });
});
