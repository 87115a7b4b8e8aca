/**
 * The Redis store over a redis-sentinel:// URL, on a real Sentinel set-up
 * started by this file (one master, one replica, three sentinels): the whole
 * Store contract, then a failover the store follows by itself.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { systemClock } from "../../src/core/clock.ts";
import { RedisStore } from "../../src/store/redis/redis-store.ts";
import { describeRedisContract } from "../contract/redis-contract.ts";
import { startSentinelSetup, type SentinelSetup } from "../helpers/redis-sentinel.ts";
import { describeNeeding } from "../helpers/requirements.ts";
import { waitFor } from "../helpers/wait.ts";

describeNeeding("redis-server")("redis over Sentinel", () => {
  let setup: SentinelSetup;

  beforeAll(async () => {
    setup = await startSentinelSetup();
  }, 60_000);
  afterAll(async () => {
    await setup?.stop();
  });

  describeRedisContract("redis over Sentinel", () => setup.url);

  describe("failover", () => {
    test("after the master is killed, the same store reaches the promoted replica by itself: jobs enqueued before are there, and it enqueues and claims again", async () => {
      const store = new RedisStore({ url: setup.url, prefix: "failover", clock: systemClock });
      await store.open();
      try {
        const before = await store.enqueue({ jobs: Array.from({ length: 20 }, (_, i) => ({ name: "f", queue: "default", data: { i }, maxAttempts: 1 })), now: Date.now() });
        // Acknowledged is not yet replicated (docs/redis.md): wait until the replica has it all.
        await setup.waitForReplica();
        await setup.killMaster();
        const after = await waitFor(async () => {
          try {
            return await store.enqueue({ jobs: [{ name: "f", queue: "default", data: { i: 99 }, maxAttempts: 1 }], now: Date.now() });
          } catch {
            return undefined;
          }
        }, { what: "an enqueue on the new master", timeoutMs: 20_000 });
        expect(after.length).toBe(1);
        const got = await store.reserve({ queues: ["default"], workerId: "w", max: 100, leaseMs: 30_000, now: Date.now() });
        expect(got.map((j) => j.id).sort()).toEqual([...before.map((r) => r.id), after[0].id].sort());
      } finally {
        await store.destroyAll().catch(() => {});
        await store.close();
      }
    }, 60_000);
  });
});
