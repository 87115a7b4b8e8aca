/**
 * Builds the configured store. Implementations are imported lazily so a
 * `qworker enqueue` on SQLite never pays for loading ioredis, and vice versa.
 */

import type { Clock } from "../core/clock.ts";
import type { Config } from "../config/schema.ts";
import type { Store } from "./store.ts";

export async function createStore(config: Config, clock: Clock): Promise<Store> {
  switch (config.store.backend) {
    case "memory": {
      const { MemoryStore } = await import("./memory/memory-store.ts");
      return new MemoryStore(clock);
    }
    case "sqlite": {
      const { SqliteStore } = await import("./sqlite/sqlite-store.ts");
      return new SqliteStore({ path: config.store.db, clock });
    }
    case "redis": {
      const { RedisStore, redisUrlOf } = await import("./redis/redis-store.ts");
      const { redisPrefix: prefix, queueTags, allowEviction } = config.store;
      return new RedisStore({ url: redisUrlOf(config.store), prefix, queueTags, allowEviction, clock });
    }
  }
}

/** Creates and opens the store; StoreUnavailableError propagates with exit code 3. */
export async function openStore(config: Config, clock: Clock): Promise<Store> {
  const store = await createStore(config, clock);
  await store.open();
  return store;
}
