/**
 * Quick throughput and memory figures for the Redis store against a private
 * redis-server (not a test; run `bun bench/store-loops/redis.ts [jobs]`):
 * - bulk enqueue of N jobs, as one call and in batches of 1,000;
 * - drain: one loop of reserve(max 50) + complete until empty;
 * - Redis bytes per waiting job with a small payload (INFO used_memory delta
 *   over 10k jobs after 10k warm-up jobs, and MEMORY USAGE of one job hash).
 */

import Redis from "ioredis";
import { systemClock } from "../../src/core/clock.ts";
import type { NewJob } from "../../src/core/types.ts";
import { RedisStore } from "../../src/store/redis/redis-store.ts";
import { startRedisServer } from "../../test/helpers/redis-server.ts";

const N = Number(process.argv[2] ?? 50_000);
const payload = (i: number) => ({ to: `user${i}@example.com`, subject: "Welcome aboard" });
const jobs = (n: number): NewJob[] => Array.from({ length: n }, (_, i) => ({ name: "send-email", queue: "default", data: payload(i), maxAttempts: 5 }));
const rate = (n: number, ms: number) => `${Math.round((n / ms) * 1000).toLocaleString("en")} jobs/s (${n} in ${ms.toFixed(0)} ms)`;

const server = await startRedisServer();
const admin = new Redis(server.url);
let prefixN = 0;
const fresh = async () => {
  const store = new RedisStore({ url: server.url, prefix: `bench-${++prefixN}`, clock: systemClock });
  await store.open();
  return store;
};

async function drain(store: RedisStore, loops: number): Promise<number> {
  let done = 0;
  await Promise.all(
    Array.from({ length: loops }, async (_, w) => {
      for (;;) {
        const got = await store.reserve({ queues: ["default"], workerId: `w${w}`, max: 50, leaseMs: 30_000, now: Date.now() });
        if (got.length === 0) return;
        await store.complete({ workerId: `w${w}`, jobs: got.map((j) => ({ id: j.id, token: j.lease.token, result: null })), now: Date.now() });
        done += got.length;
      }
    }),
  );
  return done;
}

try {
  {
    const store = await fresh();
    const one = (await store.enqueue({ jobs: jobs(1), now: Date.now() }))[0].id;
    const used = async () => {
      // Freed keys (UNLINK) are released in the background: wait until nothing is pending.
      for (;;) {
        const info = await admin.info("memory");
        if (/lazyfree_pending_objects:0\b/.test(info)) return Number(/used_memory:(\d+)/.exec(info)![1]);
        await Bun.sleep(10);
      }
    };
    await store.enqueue({ jobs: jobs(10_000), now: Date.now() }); // warm up: the keyspace and zsets have grown past their first resizes
    const before = await used();
    await store.enqueue({ jobs: jobs(10_000), now: Date.now() });
    const after = await used();
    const hashBytes = await admin.memory("USAGE", `{bench-${prefixN}}:j:${one}`);
    console.log(`memory per waiting job (10k, ${JSON.stringify(payload(1234)).length}-byte payload): ${Math.round((after - before) / 10_000)} bytes (job hash alone: ${hashBytes} bytes)`);
    await store.destroyAll();
    await store.close();
  }
  {
    const store = await fresh();
    const specs = jobs(N);
    let t = performance.now();
    await store.enqueue({ jobs: specs, now: Date.now() });
    console.log(`enqueue, one call of ${N}:          ${rate(N, performance.now() - t)}`);
    t = performance.now();
    const n = await drain(store, 1);
    console.log(`drain, 1 loop reserve(50)+complete:  ${rate(n, performance.now() - t)}`);
    await store.destroyAll();
    await store.close();
  }
  {
    const store = await fresh();
    const specs = jobs(N);
    let t = performance.now();
    for (let i = 0; i < N; i += 1_000) await store.enqueue({ jobs: specs.slice(i, i + 1_000), now: Date.now() });
    console.log(`enqueue, batches of 1,000:           ${rate(N, performance.now() - t)}`);
    t = performance.now();
    const n = await drain(store, 4);
    console.log(`drain, 4 concurrent loops:           ${rate(n, performance.now() - t)}`);
    await store.destroyAll();
    await store.close();
  }
} finally {
  await admin.quit();
  await server.stop();
}
