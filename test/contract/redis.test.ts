/**
 * The Store contract against a real Redis: one private redis-server for
 * this file, and a fresh key prefix per test so tests never see each
 * other's keys.
 */

import { afterAll, beforeAll, describe } from "bun:test";
import { RedisStore } from "../../src/store/redis/redis-store.ts";
import { redisAvailable, startRedisServer, type RedisServer } from "../helpers/redis-server.ts";
import { describeStore } from "./store-contract.ts";

describe.skipIf(!redisAvailable)("redis", () => {
  let server: RedisServer;
  let n = 0;

  beforeAll(async () => {
    server = await startRedisServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  describeStore("redis", async (clock) => {
    const store = new RedisStore({ url: server.url, prefix: `contract-${process.pid}-${++n}`, clock });
    await store.open();
    return {
      store,
      async cleanup() {
        await store.destroyAll();
        await store.close();
      },
    };
  });
});
