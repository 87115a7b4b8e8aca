/**
 * Builds the configured store. Implementations are imported lazily so a
 * `qworker enqueue` on SQLite never pays for loading ioredis or pg, and vice versa.
 */

import type { Clock } from "../core/clock.ts";
import type { Config } from "../config/schema.ts";
import type { Store } from "./store.ts";

export interface StoreOpenOptions {
  /** False for commands that only inspect: a missing SQLite file is "no store at PATH" (exit 3), not a new empty store. */
  create?: boolean;
}

export async function createStore(config: Config, clock: Clock, opts: StoreOpenOptions = {}): Promise<Store> {
  switch (config.store.backend) {
    case "memory": {
      const { MemoryStore } = await import("./memory/memory-store.ts");
      return new MemoryStore(clock);
    }
    case "sqlite": {
      const { SqliteStore } = await import("./sqlite/sqlite-store.ts");
      return new SqliteStore({ path: config.store.db, clock, create: opts.create });
    }
    case "redis": {
      const { RedisStore, redisUrlOf } = await import("./redis/redis-store.ts");
      const { redisPrefix: prefix, queueTags, allowEviction } = config.store;
      return new RedisStore({ url: redisUrlOf(config.store), prefix, queueTags, allowEviction, clock });
    }
    case "postgres": {
      const { PostgresStore } = await import("./postgres/postgres-store.ts");
      const s = config.store;
      return new PostgresStore({
        url: s.postgresUrl,
        schema: s.postgresSchema,
        poolSize: s.postgresPoolSize,
        preparedStatements: s.postgresPreparedStatements,
        asyncOutcomes: s.postgresAsyncOutcomes,
        listen: s.postgresListen ? (s.postgresListenUrl ?? true) : false,
        clock,
      });
    }
  }
}

/** Creates and opens the store; StoreUnavailableError propagates with exit code 3. */
export async function openStore(config: Config, clock: Clock, opts: StoreOpenOptions = {}): Promise<Store> {
  const store = await createStore(config, clock, opts);
  await store.open();
  return store;
}
