/**
 * What the Redis store does when Redis cannot take more (maxmemory reached,
 * noeviction) or could throw jobs away (an evicting maxmemory-policy):
 * - an enqueue of any size stores all of its jobs or none, with one clear
 *   error;
 * - no claim runs, so no job starts whose outcome could not be written,
 *   while the outcomes of jobs already running are still written;
 * - a store refuses to open on an evicting Redis unless told to accept it.
 */

import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import Redis from "ioredis";
import { systemClock } from "../../src/core/clock.ts";
import { ConfigError, StoreUnavailableError } from "../../src/core/errors.ts";
import type { NewJob } from "../../src/core/types.ts";
import { enqueueArgs } from "../../src/store/redis/codec.ts";
import { RedisStore } from "../../src/store/redis/redis-store.ts";
import { scriptSource } from "../../src/store/redis/scripts.ts";
import { startRedisServer, type RedisServer } from "../helpers/redis-server.ts";
import { describeNeeding } from "../helpers/requirements.ts";

const Q = ["default"];
const job = (i: number): NewJob => ({ name: "m", queue: "default", data: { i, pad: "x".repeat(40) }, maxAttempts: 3 });

describeNeeding("redis-server")("redis store out of memory", () => {
  let server: RedisServer;
  let admin: Redis;
  let n = 0;
  const opened: RedisStore[] = [];

  const makeStore = async (opts: { allowEviction?: boolean } = {}) => {
    const store = new RedisStore({ url: server.url, prefix: `oom-${process.pid}-${++n}`, clock: systemClock, ...opts });
    opened.push(store);
    await store.open();
    return store;
  };
  const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await admin.info("memory"))![1]);
  /** Lets Redis take about `bytes` more than it holds now. */
  const limitTo = async (bytes: number) => admin.config("SET", "maxmemory", String((await usedMemory()) + bytes));

  beforeAll(async () => {
    server = await startRedisServer();
    admin = new Redis(server.url);
  });
  afterEach(async () => {
    await admin.config("SET", "maxmemory", "0");
    await admin.config("SET", "maxmemory-policy", "noeviction");
    for (const s of opened.splice(0)) {
      await s.destroyAll().catch(() => {}); // a store that refused to open has nothing to clean
      await s.close();
    }
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });

  test("an enqueue of 800 jobs (one script) into a full Redis stores none of them and rejects with the out-of-memory error", async () => {
    const store = await makeStore();
    await admin.config("SET", "maxmemory", "1");
    const err = (await store.enqueue({ jobs: Array.from({ length: 800 }, (_, i) => job(i)), now: Date.now() }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(err.message).toContain("out of memory");
    await admin.config("SET", "maxmemory", "0");
    expect((await store.counts(Q))[0].waiting).toBe(0);
  });

  test("an enqueue of 5,000 jobs (staged in slices) into a Redis that fills up half-way stores none of them and rejects with the same out-of-memory error", async () => {
    const store = await makeStore();
    const prefix = `{oom-${process.pid}-${n}}`;
    // Room for about half of the batch (a job takes some 300 bytes with this payload).
    await limitTo(5_000 * 150);
    const err = (await store.enqueue({ jobs: Array.from({ length: 5_000 }, (_, i) => job(i)), now: Date.now() }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(err.message).toContain("out of memory");
    expect(err.message).not.toContain("EXECABORT");
    // Some slices were staged (they took job numbers) before Redis filled up; none of their jobs is left.
    expect(Number(await admin.get(`${prefix}:jobid`))).toBeGreaterThanOrEqual(1_000);
    expect(await admin.keys(`${prefix}:j:*`)).toEqual([]);
    expect((await store.counts(Q))[0].waiting).toBe(0);
    expect((await store.listJobs({ limit: 10 })).jobs).toEqual([]);
    await admin.config("SET", "maxmemory", "0");
    expect((await store.enqueue({ jobs: Array.from({ length: 5_000 }, (_, i) => job(i)), now: Date.now() })).length).toBe(5_000);
    expect((await store.counts(Q))[0].waiting).toBe(5_000);
  }, 60_000);

  test("a full Redis refuses every claim, but the completions riding on it, failures, releases, lease renewals, heartbeats, rescue and trim still run", async () => {
    const store = await makeStore();
    const ids = (await store.enqueue({ jobs: Array.from({ length: 6 }, (_, i) => job(i)), now: Date.now() })).map((r) => r.id);
    const [a, b, c, d] = await store.reserve({ queues: Q, workerId: "w", max: 4, leaseMs: 30_000, now: Date.now() });
    await admin.config("SET", "maxmemory", "1");

    const err = (await store
      .reserve({ queues: Q, workerId: "w", max: 2, leaseMs: 30_000, now: Date.now(), complete: [{ id: a.id, token: a.lease.token, result: { ok: 1 } }] })
      .catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(err.message).toContain("out of memory");
    expect(await store.getJob(a.id)).toMatchObject({ state: "completed", result: { ok: 1 } });
    await store.fail({ workerId: "w", id: b.id, token: b.lease.token, error: { attempt: 1, message: "boom" }, now: Date.now() });
    expect((await store.getJob(b.id))!.state).toBe("failed");
    expect(await store.extendLeases({ workerId: "w", jobs: [{ id: c.id, token: c.lease.token }], leaseMs: 60_000, now: Date.now() })).toEqual([]);
    await store.release({ workerId: "w", jobs: [{ id: c.id, token: c.lease.token }] });
    await store.complete({ workerId: "w", jobs: [{ id: d.id, token: d.lease.token }], now: Date.now() });
    await store.workerHeartbeat({ info: { id: "w", host: "h", pid: 1, role: "worker", queues: Q, concurrency: 1, jobs: ["m"], startedAt: 0, heartbeatAt: 0, running: [] }, ttlMs: 6_000, now: Date.now() });
    await store.rescueExpired({ maxStalls: 2, limit: 100, now: Date.now() });
    expect(await store.trim({ policy: { completedMaxAgeMs: 0, completedMaxCount: 0, failedMaxAgeMs: 0, failedMaxCount: 0 }, now: Date.now() + 1 })).toBe(3);
    const [counts] = await store.counts(Q);
    expect(counts).toMatchObject({ waiting: 3, active: 0, completed: 0, failed: 0 });
    // Nothing was claimed while full: the two jobs never claimed and the released one wait.
    expect((await store.getJob(c.id))!.state).toBe("waiting");
    expect(ids.length).toBe(6);
    await admin.config("SET", "maxmemory", "0");
    expect((await store.reserve({ queues: Q, workerId: "w", max: 10, leaseMs: 30_000, now: Date.now() })).map((j) => j.id).sort()).toEqual([c.id, ...ids.slice(4)].sort());
  });

  test("a bulk enqueue whose client died between staging and publishing stays invisible, and the rescuer deletes it after its deadline", async () => {
    const store = await makeStore();
    const prefix = `{oom-${process.pid}-${n}}`;
    // What a client leaves behind when it dies after its first slice: one staged slice, never published.
    const args = Array.from({ length: 3 }, (_, i) => enqueueArgs(job(i), 1_000)).flat();
    const staged = (await admin.eval(scriptSource("enqueueStage"), 1, `${prefix}:stage:t1`, `${prefix}:`, 1_000, 1, 0, "t1", 5_000, ...args)) as string[];
    expect(staged.length).toBe(3);
    expect(await admin.keys(`${prefix}:j:*`)).toHaveLength(3);
    expect(await store.getJob(staged[0])).toBeUndefined();
    expect((await store.listJobs({ limit: 10 })).jobs).toEqual([]);
    expect((await store.counts(Q))[0].waiting).toBe(0);
    expect(await store.reserve({ queues: Q, workerId: "w", max: 10, leaseMs: 1_000, now: 2_000 })).toEqual([]);
    await store.rescueExpired({ maxStalls: 2, limit: 100, now: 4_999 });
    expect(await admin.keys(`${prefix}:j:*`)).toHaveLength(3);
    await store.rescueExpired({ maxStalls: 2, limit: 100, now: 5_001 });
    expect(await admin.keys(`${prefix}:j:*`)).toEqual([]);
    expect(await admin.keys(`${prefix}:stage*`)).toEqual([]);
  });

  test("a store refuses to open on a Redis with maxmemory-policy allkeys-lru (exit 2, naming the policy and the fix) unless allowEviction accepts it", async () => {
    await admin.config("SET", "maxmemory-policy", "allkeys-lru");
    const err = (await makeStore().catch((e: unknown) => e)) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('maxmemory-policy "allkeys-lru"');
    expect(err.message).toContain("noeviction");
    expect(err.message).toContain("--allow-eviction");
    const store = await makeStore({ allowEviction: true });
    expect(store.serverSettings.maxmemoryPolicy).toBe("allkeys-lru");
    expect((await store.checkServerConfig()).join("\n")).toContain('maxmemory-policy is "allkeys-lru"');
    expect((await store.enqueue({ jobs: [job(1)], now: Date.now() })).length).toBe(1);
  });
});
