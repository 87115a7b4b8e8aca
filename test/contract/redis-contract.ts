/**
 * The Store contract over any Redis connection (single server, Sentinel,
 * Cluster), with a fresh key prefix per test; used by the contract test
 * files of each kind of connection.
 */

import { RedisStore, type RedisStoreOptions } from "../../src/store/redis/redis-store.ts";
import { describeStore } from "./store-contract.ts";

let n = 0;

/** The contract over a Redis at `url()` (known once the suite's servers are up). */
export function describeRedisContract(label: string, url: () => string, opts: Partial<RedisStoreOptions> = {}): void {
  describeStore(label, async (clock) => {
    const make = () => new RedisStore({ url: url(), prefix: `contract-${process.pid}-${n}`, clock, ...opts });
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
}

export const THREE_TAGS = { a: ["critical"], b: ["default"], c: ["low"] };
