/**
 * What the Redis store does when Redis misbehaves: it restarts (workers
 * resume on their own, nothing lost with AOF), it is down (callers fail
 * fast with StoreUnavailableError, exit code 3), it is out of memory (the
 * enqueue fails loudly).
 */

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { systemClock } from "../../src/core/clock.ts";
import { StoreUnavailableError } from "../../src/core/errors.ts";
import { RedisStore } from "../../src/store/redis/redis-store.ts";
import { startRedisServer, type RedisServer } from "../helpers/redis-server.ts";
import { describeNeeding } from "../helpers/requirements.ts";
import { waitFor, within } from "../helpers/wait.ts";

const Q = ["default"];
const job = (i: number) => ({ name: "r", queue: "default", data: { i }, maxAttempts: 3 });

describeNeeding("redis-server")("redis store resilience", () => {
  let server: RedisServer;
  let n = 0;
  const opened: RedisStore[] = [];

  const makeStore = async (prefix = `res-${process.pid}-${++n}`) => {
    const store = new RedisStore({ url: server.url, prefix, clock: systemClock });
    opened.push(store);
    await store.open();
    return store;
  };

  beforeAll(async () => {
    server = await startRedisServer({ appendOnly: true });
  });

  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
  });

  afterAll(async () => {
    await server?.stop();
  });

  test("after a Redis restart the same store reserves and completes the jobs enqueued before it", async () => {
    const store = await makeStore();
    const ids = (await store.enqueue({ jobs: [job(1), job(2), job(3)], now: Date.now() })).map((r) => r.id);
    await server.restart();
    const got = await waitFor(async () => {
      const jobs = await store.reserve({ queues: Q, workerId: "w", max: 10, leaseMs: 30_000, now: Date.now() });
      return jobs.length ? jobs : undefined;
    }, { what: "reserve to succeed after the restart" });
    expect(got.map((j) => j.id).sort()).toEqual([...ids].sort());
    await store.complete({ workerId: "w", jobs: got.map((j) => ({ id: j.id, token: j.lease.token, result: "ok" })), now: Date.now() });
    for (const id of ids) expect((await store.getJob(id))!.state).toBe("completed");
    await store.destroyAll();
  }, 30_000);

  test("a worker blocked across a restart wakes for a job enqueued after it", async () => {
    const store = await makeStore();
    const producer = await makeStore(`res-${process.pid}-${n}`);
    const ctl = new AbortController();
    const woke = store.waitForWork({ queues: Q, signal: ctl.signal, maxWaitMs: 20_000 }).then(() => Date.now());
    const admin = new Redis(server.url);
    await waitFor(async () => /blocked_clients:1\b/.test(await admin.info("clients")), { what: "the waiter to block in Redis" });
    admin.disconnect();
    await server.restart();
    await waitFor(async () => (await producer.enqueue({ jobs: [job(1)], now: Date.now() })).length > 0, { what: "enqueue after the restart" });
    const sent = Date.now();
    expect((await within(woke, 25_000, "the blocked waiter to wake")) - sent).toBeLessThan(5_000);
    await store.destroyAll();
  }, 30_000);

  describe("while Redis is down", () => {
    let store: RedisStore;

    beforeAll(async () => {
      store = new RedisStore({ url: server.url, prefix: `res-${process.pid}-down`, clock: systemClock });
      await store.open();
      await server.halt();
    });

    afterAll(async () => {
      await server.start();
      await store.close();
    });

    test("ping rejects with StoreUnavailableError", async () => {
      await waitFor(async () => {
        try {
          await store.ping();
          return false;
        } catch (err) {
          return err instanceof StoreUnavailableError;
        }
      }, { what: "ping to report Redis as down" });
    });

    test("a fresh store's open and enqueue reject within 5 s with StoreUnavailableError naming the URL, not the password", async () => {
      const url = `redis://app:s3cret@127.0.0.1:${server.port}/0`;
      const fresh = new RedisStore({ url, clock: systemClock });
      let t = performance.now();
      const openErr = await within(fresh.open().catch((e: unknown) => e), 15_000, "open while Redis is down");
      expect(performance.now() - t).toBeLessThan(5_000);
      expect(openErr).toBeInstanceOf(StoreUnavailableError);
      expect((openErr as StoreUnavailableError).exitCode).toBe(3);
      expect((openErr as Error).message).toContain(`127.0.0.1:${server.port}`);
      expect((openErr as Error).message).not.toContain("s3cret");

      const unopened = new RedisStore({ url, clock: systemClock });
      t = performance.now();
      const enqErr = await within(unopened.enqueue({ jobs: [job(1)], now: Date.now() }).catch((e: unknown) => e), 15_000, "enqueue while Redis is down");
      expect(performance.now() - t).toBeLessThan(5_000);
      expect(enqErr).toBeInstanceOf(StoreUnavailableError);
      expect((enqErr as Error).message).not.toContain("s3cret");
      await fresh.close();
      await unopened.close();
    });

    test("waitForWork neither throws nor returns early while Redis is down: it waits out its maxWaitMs", async () => {
      const ctl = new AbortController();
      const t = performance.now();
      await within(store.waitForWork({ queues: Q, signal: ctl.signal, maxWaitMs: 200 }), 5_000, "waitForWork while Redis is down");
      expect(performance.now() - t).toBeGreaterThanOrEqual(150);
    });
  });

  test("an out-of-memory Redis makes enqueue reject with a clear error", async () => {
    const store = await makeStore();
    const admin = new Redis(server.url);
    try {
      await admin.config("SET", "maxmemory-policy", "noeviction");
      await admin.config("SET", "maxmemory", "1");
      const err = await within(store.enqueue({ jobs: [job(1)], now: Date.now() }).catch((e: unknown) => e), 10_000, "enqueue on an out-of-memory Redis");
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect((err as Error).message).toContain("out of memory");
      expect((err as Error).message).toContain("OOM");
    } finally {
      await admin.config("SET", "maxmemory", "0");
      await admin.quit();
    }
    expect((await store.enqueue({ jobs: [job(2)], now: Date.now() })).length).toBe(1);
    await store.destroyAll();
  });
});
