/**
 * The Redis listing index (lua/lib-index.lua) keeps jobs in small bucket
 * zsets that split when full. The differential test rarely fills a bucket,
 * so this one does: thousands of jobs with createdAt out of order, numbered
 * and explicit ids mixed, a third removed, and every page and cursor must
 * equal the memory store's. Buckets stay small (at most 128 ids), which is
 * what keeps them compact.
 */

import { afterAll, beforeAll, expect, test } from "bun:test";
import Redis from "ioredis";
import { FakeClock } from "../../src/core/clock.ts";
import type { NewJob } from "../../src/core/types.ts";
import { MemoryStore } from "../../src/store/memory/memory-store.ts";
import { RedisStore } from "../../src/store/redis/redis-store.ts";
import type { Store } from "../../src/store/store.ts";
import { seeded } from "../fuzz/random.ts";
import { startRedisServer, type RedisServer } from "../helpers/redis-server.ts";
import { describeNeeding } from "../helpers/requirements.ts";

describeNeeding("redis-server")("redis listing index", () => {
  let server: RedisServer;
  let admin: Redis;

  beforeAll(async () => {
    server = await startRedisServer();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });

  const pages = async (store: Store, filter: { state?: "waiting" | "delayed"; queue?: string }, limit: number) => {
    const out: { ids: string[]; cursor?: string }[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listJobs({ ...filter, limit, cursor });
      out.push({ ids: page.jobs.map((j) => j.id), cursor: page.nextCursor });
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  };

  test("3,000 jobs with createdAt out of order, explicit and numbered ids, a third removed: every page and cursor equals the memory store's, and no bucket holds more than 128 ids", async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const mem = new MemoryStore(clock);
    const redis = new RedisStore({ url: server.url, prefix: "ix-test", clock });
    await redis.open();
    try {
      const r = seeded(7);
      const base = clock.now();
      const ids: string[] = [];
      for (let batch = 0; batch < 300; batch++) {
        // Each call's now jumps around within 40 ms, so many keys land below a bucket's top and force splits.
        const now = base + r.int(40);
        const jobs: NewJob[] = Array.from({ length: 1 + r.int(19) }, (_, i) => ({
          id: r.int(6) === 0 ? `x${r.int(3)}:${batch}.${i}` : undefined,
          name: "n",
          queue: r.pick(["a", "b"]),
          data: { batch, i },
          maxAttempts: 1,
          runAt: r.int(5) === 0 ? now + 60_000 : undefined,
        }));
        const [a, b] = [await mem.enqueue({ jobs, now }), await redis.enqueue({ jobs, now })];
        expect(b).toEqual(a);
        ids.push(...a.map((x) => x.id));
      }
      expect(ids.length).toBeGreaterThan(2_500);
      for (const id of ids) {
        if (r.int(3) === 0) {
          await mem.removeJob(id);
          await redis.removeJob(id);
        }
      }
      for (const [filter, limit] of [[{}, 37], [{}, 200], [{ state: "delayed" }, 11], [{ queue: "b" }, 64]] as const) {
        expect(await pages(redis, filter, limit)).toEqual(await pages(mem, filter, limit));
      }
      const buckets = await admin.keys("{ix-test}:ix:*");
      expect(buckets.length).toBeGreaterThan(10);
      for (const key of buckets) {
        expect(await admin.llen(key)).toBeLessThanOrEqual(128);
      }
    } finally {
      await redis.destroyAll();
      await redis.close();
    }
  }, 120_000);
});
