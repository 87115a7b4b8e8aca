/**
 * What the Redis store promises beyond the Store contract: Cluster-safe
 * keys, big batches, wake-ups that neither poll nor stampede, script
 * reloading, server-config warnings, ACL and TLS URLs, and Lua that
 * survives `bun build --compile`.
 */

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Redis from "ioredis";
import { FakeClock, systemClock } from "../../src/core/clock.ts";
import type { NewJob } from "../../src/core/types.ts";
import { RedisStore } from "../../src/store/redis/redis-store.ts";
import { startRedisServer, type RedisServer } from "../helpers/redis-server.ts";
import { describeNeeding } from "../helpers/requirements.ts";
import { waitFor, within } from "../helpers/wait.ts";

const Q = ["critical", "default", "low"];
const job = (i: number, extra: Partial<NewJob> = {}): NewJob => ({ name: "t", queue: "default", data: { i }, maxAttempts: 3, ...extra });

describeNeeding("redis-server")("redis store", () => {
  // Most tests run on the real clock; the one that needs a fake one declares its own.
  const clock = systemClock;
  let server: RedisServer;
  let admin: Redis;
  let n = 0;
  let prefix = "";
  const opened: RedisStore[] = [];

  /** A store on this test's prefix: several of them act as several processes of one deployment. */
  const makeStore = async (clock = systemClock) => {
    const store = new RedisStore({ url: server.url, prefix, clock });
    opened.push(store);
    await store.open();
    return store;
  };

  beforeAll(async () => {
    server = await startRedisServer();
    admin = new Redis(server.url);
  });

  afterEach(async () => {
    const [first, ...rest] = opened.splice(0);
    if (first) await first.destroyAll();
    for (const s of [first, ...rest]) await s?.close();
    prefix = `rs-${process.pid}-${++n}`;
  });

  afterAll(async () => {
    await admin?.quit();
    await server?.stop();
  });

  prefix = `rs-${process.pid}-${++n}`;

  test("every key of a deployment carries its hash tag", async () => {
    const clock = new FakeClock();
    const store = await makeStore(clock);
    await store.enqueue({ jobs: [job(1, { uniqueKey: "u" }), job(2, { queue: "low", runAt: clock.now() + 1_000 }), job(3)], now: clock.now() });
    const [a, b] = await store.reserve({ queues: Q, workerId: "w", max: 2, leaseMs: 1_000, now: clock.now() });
    await store.complete({ workerId: "w", jobs: [{ id: a.id, token: a.lease.token }], now: clock.now() });
    await store.fail({ workerId: "w", id: b.id, token: b.lease.token, error: { attempt: 1, message: "x" }, now: clock.now() });
    await store.pauseQueue("critical");
    await store.leaderAcquire({ name: "scheduler", holder: "h", ttlMs: 1_000, now: clock.now() });
    await store.workerHeartbeat({ info: { id: "w", host: "h", pid: 1, role: "all", queues: Q, concurrency: 1, jobs: [], startedAt: 0, heartbeatAt: 0, running: [] }, ttlMs: 1_000, now: clock.now() });
    await store.scheduleRecordSlot("tick", 1, "cron:tick:1");
    const keys = await admin.keys(`*${prefix}*`);
    expect(keys.length).toBeGreaterThan(10);
    for (const k of keys) expect(k.startsWith(`{${prefix}}:`)).toBe(true);
  });

  test("flow control keeps bounded state: a finished concurrency key is gone at once, a rate key once its spacing passed and the rescuer swept", async () => {
    const clock = new FakeClock();
    const store = await makeStore(clock);
    const flow = (i: number) => ({ limits: [{ key: `j:r:${i}`, max: 1, perMs: 60_000 }, { key: `j:c:${i}`, max: 2 }] });
    await store.enqueue({ jobs: Array.from({ length: 20 }, (_, i) => job(i, { flow: flow(i) })), now: clock.now() });
    const got = await store.reserve({ queues: Q, workerId: "w", max: 20, leaseMs: 30_000, now: clock.now() });
    expect(got.length).toBe(20);
    await store.complete({ workerId: "w", jobs: got.map((j) => ({ id: j.id, token: j.lease.token })), now: clock.now() });
    const flowKeys = async () => (await admin.keys(`{${prefix}}:fk:*`)).sort();
    expect((await flowKeys()).every((k) => k.includes(":fk:j:r:"))).toBe(true);
    expect((await flowKeys()).length).toBe(20);
    clock.advance(60_000);
    await store.rescueExpired({ maxStalls: 2, limit: 100, now: clock.now() });
    expect(await flowKeys()).toEqual([]);
  });

  test("a batch larger than one script enqueues atomically and in order", async () => {
    const store = await makeStore();
    const specs = Array.from({ length: 2_500 }, (_, i) => job(i));
    const res = await store.enqueue({ jobs: specs, now: clock.now() });
    expect(res.length).toBe(2_500);
    expect(res.every((r) => !r.deduplicated)).toBe(true);
    const got = await store.reserve({ queues: Q, workerId: "w", max: 3_000, leaseMs: 30_000, now: clock.now() });
    expect(got.map((j) => (j.data as { i: number }).i)).toEqual(specs.map((_, i) => i));
    const [counts] = await store.counts(["default"]);
    expect(counts.active).toBe(2_500);
  });

  test("a batch that is not JSON-serialisable stores nothing", async () => {
    const store = await makeStore();
    await expect(store.enqueue({ jobs: [job(1), job(2, { data: { n: 1n } })], now: clock.now() })).rejects.toThrow();
    expect((await store.listJobs({ limit: 10 })).jobs).toEqual([]);
  });

  test("one enqueue of several jobs wakes as many idle processes; one job wakes one", async () => {
    const producer = await makeStore();
    const idle = await Promise.all([makeStore(), makeStore(), makeStore()]);
    const ctl = new AbortController();
    const wait = (s: RedisStore) => s.waitForWork({ queues: Q, signal: ctl.signal, maxWaitMs: 30_000 });
    const blocked = async (k: number) => waitFor(async () => Number(/blocked_clients:(\d+)/.exec(await admin.info("clients"))![1]) >= k, { what: `${k} blocked clients` });

    const all = idle.map(wait);
    await blocked(3);
    await producer.enqueue({ jobs: [job(1), job(2), job(3)], now: clock.now() });
    await within(Promise.all(all), 5_000, "all three waiters");
    await producer.reserve({ queues: Q, workerId: "p", max: 10, leaseMs: 30_000, now: clock.now() });

    let woken = 0;
    const again = idle.map((s) => wait(s).then(() => woken++));
    await blocked(3);
    await producer.enqueue({ jobs: [job(4)], now: clock.now() });
    await waitFor(() => woken >= 1, { what: "one waiter to wake" });
    await Bun.sleep(300); // the absence of a stampede can only be observed over a window
    expect(woken).toBe(1);
    ctl.abort();
    await within(Promise.all(again), 5_000, "aborted waiters");
  });

  test("a waiter sleeps through other queues' jobs and through markers of jobs already taken", async () => {
    const store = await makeStore();
    const other = await makeStore();
    await other.enqueue({ jobs: Array.from({ length: 10 }, (_, i) => job(i)), now: clock.now() });
    expect((await other.reserve({ queues: Q, workerId: "busy", max: 10, leaseMs: 30_000, now: clock.now() })).length).toBe(10);
    const ctl = new AbortController();
    let t = performance.now();
    await within(store.waitForWork({ queues: Q, signal: ctl.signal, maxWaitMs: 400 }), 5_000, "waitForWork with maxWaitMs 400");
    expect(performance.now() - t).toBeGreaterThanOrEqual(390);

    t = performance.now();
    const waiting = store.waitForWork({ queues: ["critical"], signal: ctl.signal, maxWaitMs: 400 });
    await other.enqueue({ jobs: [job(99, { queue: "low" })], now: clock.now() });
    await within(waiting, 5_000, "waitForWork with maxWaitMs 400");
    expect(performance.now() - t).toBeGreaterThanOrEqual(390);
  });

  test("an idle waiter sends no Redis command for 2 s, and an abort ends its wait within 2 s and frees the blocked connection", async () => {
    const store = await makeStore();
    const ctl = new AbortController();
    const commands = async () => Number(/total_commands_processed:(\d+)/.exec(await admin.info("stats"))![1]);
    const waiting = store.waitForWork({ queues: Q, signal: ctl.signal, maxWaitMs: 60_000 });
    await waitFor(async () => /blocked_clients:1\b/.test(await admin.info("clients")), { what: "the waiter to block" });
    const before = await commands();
    await Bun.sleep(2_000); // the absence of polling can only be observed over a window
    // Only our two INFO calls: the waiter sent nothing while blocked.
    expect((await commands()) - before).toBeLessThanOrEqual(2);
    const t = performance.now();
    ctl.abort();
    await within(waiting, 5_000, "the aborted waitForWork");
    // Far below the 60 s the BLPOP would otherwise hold (generous for a shared machine).
    expect(performance.now() - t).toBeLessThan(2_000);
    await waitFor(async () => /blocked_clients:0\b/.test(await admin.info("clients")), { what: "the BLPOP to be unblocked", timeoutMs: 3_000 });
  });

  test("a waiter wakes for a delayed job due in 300 ms within 2 s, not at its 10 s maxWaitMs", async () => {
    const store = await makeStore();
    await store.enqueue({ jobs: [job(1, { runAt: Date.now() + 300 })], now: clock.now() });
    const t = performance.now();
    await within(store.waitForWork({ queues: Q, signal: new AbortController().signal, maxWaitMs: 10_000 }), 15_000, "waitForWork for a delayed job");
    expect(performance.now() - t).toBeLessThan(2_000);
    expect((await store.reserve({ queues: Q, workerId: "w", max: 1, leaseMs: 1_000, now: clock.now() })).length).toBe(1);
  });

  test("scripts are reloaded after SCRIPT FLUSH", async () => {
    const store = await makeStore();
    await store.enqueue({ jobs: [job(1)], now: clock.now() });
    await admin.script("FLUSH");
    await store.enqueue({ jobs: [job(2)], now: clock.now() });
    expect((await store.reserve({ queues: Q, workerId: "w", max: 5, leaseMs: 1_000, now: clock.now() })).length).toBe(2);
  });

  test("checkServerConfig warns about missing persistence (eviction is refused at open: out-of-memory.test.ts)", async () => {
    const store = await makeStore();
    expect((await store.checkServerConfig()).join("\n")).toContain("every job is lost");
    expect(store.serverSettings.maxmemoryPolicy).toBe("noeviction");
  });

  test("a URL with an ACL user and password connects; a wrong password is StoreUnavailableError within 1 s, without the password", async () => {
    await admin.acl("SETUSER", "qw-app", "on", ">s3cret", "~*", "&*", "+@all");
    try {
      const port = server.port;
      const store = new RedisStore({ url: `redis://qw-app:s3cret@127.0.0.1:${port}/0`, prefix, clock: systemClock });
      await store.open();
      expect((await store.enqueue({ jobs: [job(1)], now: clock.now() })).length).toBe(1);
      await store.destroyAll();
      await store.close();
      const wrong = new RedisStore({ url: `redis://qw-app:nope-nope@127.0.0.1:${port}`, prefix, clock: systemClock });
      const t = performance.now();
      const err = (await within(wrong.open().catch((e: unknown) => e), 10_000, "open with a wrong password")) as Error;
      expect(performance.now() - t).toBeLessThan(1_000);
      expect(err.name).toBe("StoreUnavailableError");
      expect(err.message).toContain("WRONGPASS");
      expect(err.message).not.toContain("nope-nope");
      await wrong.close();
    } finally {
      await admin.acl("DELUSER", "qw-app");
    }
  });

  test("the Lua scripts are bundled into a compiled binary", async () => {
    const dir = mkdtempSync(join(tmpdir(), "qworker-compile-"));
    try {
      const entry = join(dir, "probe.ts");
      const storePath = resolve(import.meta.dir, "../../src/store/redis/redis-store.ts");
      writeFileSync(
        entry,
        `import { RedisStore } from ${JSON.stringify(storePath)};
const store = new RedisStore({ url: process.argv[2], prefix: process.argv[3], clock: { now: () => Date.now(), mono: () => performance.now() } });
await store.open();
await store.enqueue({ jobs: [{ name: "c", queue: "default", data: 1, maxAttempts: 1 }], now: Date.now() });
const got = await store.reserve({ queues: ["default"], workerId: "w", max: 1, leaseMs: 1000, now: Date.now() });
console.log("reserved", got.length);
await store.close();
`,
      );
      const build = Bun.spawnSync([process.execPath, "build", "--compile", entry, "--outfile", join(dir, "probe")], { stderr: "pipe" });
      expect(build.exitCode, build.stderr.toString()).toBe(0);
      const run = Bun.spawnSync([join(dir, "probe"), server.url, prefix], { cwd: dir, stderr: "pipe" });
      expect(run.stderr.toString()).toBe("");
      expect(run.stdout.toString().trim()).toBe("reserved 1");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describeNeeding("redis-server", "openssl")("redis store over TLS", () => {
  let server: RedisServer;

  beforeAll(async () => {
    server = await startRedisServer({ tls: true });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test("rediss:// works with the server's CA", async () => {
    expect(server.url.startsWith("rediss://")).toBe(true);
    const store = new RedisStore({ url: server.url, prefix: "tls", clock: systemClock, tls: { ca: server.ca } });
    await store.open();
    const ctl = new AbortController();
    const woke = store.waitForWork({ queues: Q, signal: ctl.signal, maxWaitMs: 10_000 });
    await store.enqueue({ jobs: [job(1)], now: Date.now() });
    await within(woke, 5_000, "waitForWork over TLS");
    expect((await store.reserve({ queues: Q, workerId: "w", max: 1, leaseMs: 1_000, now: Date.now() })).length).toBe(1);
    await store.destroyAll();
    await store.close();
  });
});
