/**
 * The Redis store behaves exactly like the memory store (the reference):
 * the same seeded random operations, compared call by call
 * (test/contract/differential.ts), with every key in one slot and with the
 * queues spread over three queue tags (three slots, merged listings).
 */

import { afterAll, beforeAll, test } from "bun:test";
import { RedisStore } from "../../src/store/redis/redis-store.ts";
import { compareWithMemory } from "../contract/differential.ts";
import { THREE_TAGS } from "../contract/redis-contract.ts";
import { startRedisServer, type RedisServer } from "../helpers/redis-server.ts";
import { describeNeeding } from "../helpers/requirements.ts";

describeNeeding("redis-server")("redis store matches the memory store", () => {
  let server: RedisServer;

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  for (const [seed, queueTags] of [[1], [2], [3], [4, THREE_TAGS], [5, THREE_TAGS]] as const) {
    test(`600 random operations, seed ${seed}${queueTags ? ", queues over three tags" : ""}`, async () => {
      await compareWithMemory(seed, 600, async (clock) => {
        const store = new RedisStore({ url: server.url, prefix: `diff-${process.pid}-${seed}`, clock, queueTags });
        await store.open();
        return {
          store,
          cleanup: async () => {
            await store.destroyAll();
            await store.close();
          },
        };
      });
    }, 60_000);
  }
});
