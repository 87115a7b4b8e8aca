/**
 * The Store contract against a real Redis: one private redis-server for
 * this file, and a fresh key prefix per test so tests never see each
 * other's keys.
 */

import { afterAll, beforeAll } from "bun:test";
import { RedisStore } from "../../src/store/redis/redis-store.ts";
import { startRedisServer, type RedisServer } from "../helpers/redis-server.ts";
import { describeNeeding } from "../helpers/requirements.ts";
import { describeStore } from "./store-contract.ts";

describeNeeding("redis-server")("redis", () => {
  let server: RedisServer;
  let n = 0;

  beforeAll(async () => {
    server = await startRedisServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  describeStore("redis", async (clock) => {
    const make = () => new RedisStore({ url: server.url, prefix: `contract-${process.pid}-${n}`, clock });
    n++;
    const store = make();
    await store.open();
    return {
      store,
      async cleanup() {
        // A test may have closed the store already: clean its keys up through a fresh connection.
        const cleaner = make();
        await cleaner.open();
        await cleaner.destroyAll();
        await cleaner.close();
        await store.close();
      },
    };
  });
});
