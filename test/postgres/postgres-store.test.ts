/**
 * What the PostgreSQL store does beyond the shared contract: its
 * migrations, the SQL function any language can call, wake-ups across
 * processes (NOTIFY, and the LISTEN session coming back after it is cut),
 * claims and unique keys under concurrent connections, batched retention,
 * and URLs that never show their password. One fresh database on the
 * machine's server for the file, a schema per test.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import pg from "pg";
import { FakeClock, systemClock } from "../../src/core/clock.ts";
import { StoreUnavailableError } from "../../src/core/errors.ts";
import type { NewJob } from "../../src/core/types.ts";
import { LocalOperations } from "../../src/ops/local.ts";
import { PostgresStore, type PostgresStoreOptions } from "../../src/store/postgres/postgres-store.ts";
import { SCHEMA_VERSION } from "../../src/store/postgres/schema.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres.ts";
import { describeNeeding } from "../helpers/requirements.ts";
import { waitFor, within } from "../helpers/wait.ts";

const QUEUES = ["critical", "default", "low"];
let db: TestDatabase;
let n = 0;
const opened: PostgresStore[] = [];

async function open(extra: Partial<PostgresStoreOptions> = {}): Promise<PostgresStore> {
  const store = new PostgresStore({ url: db.url, schema: `s${n}`, clock: systemClock, ...extra });
  await store.open();
  opened.push(store);
  return store;
}

/** A new schema name for the next `open()`s of one test. */
function freshSchema(): string {
  n++;
  return `s${n}`;
}

const job = (name: string, extra: Partial<NewJob> = {}): NewJob => ({ name, queue: "default", data: { name }, maxAttempts: 3, ...extra });

describeNeeding("postgres")("postgres store", () => {
  beforeAll(async () => {
    db = await createTestDatabase("store");
  });
  afterAll(async () => {
    for (const s of opened) await s.close();
    await db?.drop();
  });

  describe("migrations", () => {
    test("four processes opening a new schema at once migrate it exactly once, to the current version", async () => {
      const schema = freshSchema();
      await Promise.all([0, 1, 2, 3].map(() => open({ schema })));
      const rows = await db.query<{ version: number }>(`SELECT version FROM ${schema}.migrations ORDER BY version`);
      expect(rows.map((r) => r.version)).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
    });

    test("a schema newer than this qworker is refused, naming the versions", async () => {
      const schema = freshSchema();
      await open({ schema });
      await db.query(`INSERT INTO ${schema}.migrations (version) VALUES (${SCHEMA_VERSION + 1})`);
      const store = new PostgresStore({ url: db.url, schema, clock: systemClock });
      const err = await store.open().catch((e) => e);
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect(err.message).toContain(`version ${SCHEMA_VERSION + 1}, newer than this qworker knows (${SCHEMA_VERSION}); upgrade qworker`);
      await store.close();
    });
  });

  describe("the SQL function qworker.enqueue(name, payload, opts)", () => {
    test("stores what the store's own enqueue stores: same defaults, same id sequence, and a NOTIFY of the queue", async () => {
      const schema = freshSchema();
      const store = await open({ schema });
      const ops = new LocalOperations({ store, clock: systemClock });
      const listener = new pg.Client({ connectionString: db.url });
      await listener.connect();
      const heard: string[] = [];
      listener.on("notification", (m) => heard.push(String(m.payload)));
      await listener.query(`LISTEN ${schema}_wake`);
      try {
        const [viaStore] = await ops.enqueue([{ name: "report", data: { b: 1, a: [1, 2] }, queue: "low", priority: 2, attempts: 5, key: "k1" }]);
        await store.cancelJob({ id: viaStore.id, now: Date.now() });
        const [viaSql] = await db.query<{ id: string; deduplicated: boolean }>(
          `SELECT * FROM ${schema}.enqueue('report', '{"b": 1, "a": [1, 2]}', '{"queue": "low", "priority": 2, "attempts": 5, "key": "k1"}')`,
        );
        expect(viaSql).toEqual({ id: String(Number(viaStore.id) + 1), deduplicated: false });
        const a = (await store.getJob(viaStore.id))!;
        const b = (await store.getJob(viaSql.id))!;
        const same = (j: typeof a) => ({ ...j, id: undefined, createdAt: undefined, runAt: undefined, state: undefined, finishedAt: undefined });
        expect(same(b)).toEqual(same(a));
        expect(b.state).toBe("waiting");
        // The key dedupes across both paths.
        expect(await ops.enqueue([{ name: "report", key: "k1" }])).toEqual([{ id: viaSql.id, deduplicated: true }]);
        await waitFor(() => heard.includes("low"), { timeoutMs: 5_000, what: "a NOTIFY for queue low" });
        // Defaults and timing: queue default, 3 attempts; `in` makes it delayed; null payload stays null, none is {}.
        const [d] = await db.query<{ id: string }>(`SELECT * FROM ${schema}.enqueue('later', 'null', '{"in": 60}')`);
        expect(await store.getJob(d.id)).toMatchObject({ queue: "default", maxAttempts: 3, priority: 0, state: "delayed", data: null });
        const [e] = await db.query<{ id: string }>(`SELECT * FROM ${schema}.enqueue('plain')`);
        expect(await store.getJob(e.id)).toMatchObject({ state: "waiting", data: {} });
        const at = new Date(Math.floor(Date.now() / 1000) * 1000 + 86_400_000).toISOString();
        const [f] = await db.query<{ id: string }>(`SELECT * FROM ${schema}.enqueue('at', '{}', $1::jsonb)`, [JSON.stringify({ at })]);
        expect(await store.getJob(f.id)).toMatchObject({ state: "delayed", runAt: Date.parse(at) });
      } finally {
        await listener.end();
      }
    });

    test("refuses bad input with SQLSTATE 22023 and a message naming the field", async () => {
      const schema = freshSchema();
      await open({ schema });
      const refusal = async (args: string) => {
        const err = await db.query(`SELECT * FROM ${schema}.enqueue(${args})`).catch((e) => e);
        expect(err.code).toBe("22023");
        return String(err.message);
      };
      expect(await refusal(`'x', '{}', '{"delay": 5}'`)).toContain("opts: delay is not an option");
      expect(await refusal(`'x', '{}', '{"priority": -1}'`)).toContain("opts.priority");
      expect(await refusal(`'x', '{}', '{"attempts": 1.5}'`)).toContain("opts.attempts");
      expect(await refusal(`'x', '{}', '{"in": 1, "at": "2100-01-01"}'`)).toContain("give in or at, not both");
      expect(await refusal(`'x', '{}', '{"at": "not a date"}'`)).toContain("opts.at");
      expect(await refusal(`'', '{}', '{}'`)).toContain("name");
      const deep = "[".repeat(65) + "]".repeat(65);
      expect(await refusal(`'x', '${deep}', '{}'`)).toContain("more than 64 levels deep");
      expect(await db.query(`SELECT count(*)::int AS n FROM ${schema}.jobs`)).toEqual([{ n: 0 }]);
    });
  });

  describe("wake-ups", () => {
    test("a waiting worker wakes on another process's enqueue through NOTIFY, without a poll in between", async () => {
      const schema = freshSchema();
      const waiting = await open({ schema });
      const producer = await open({ schema });
      let checks = 0;
      const waker = (waiting as unknown as { waker: { opts: { check: (q: string[]) => Promise<unknown> } } }).waker;
      const check = waker.opts.check;
      waker.opts.check = (q) => (checks++, check(q));
      // The first wait starts the listener (whose connect wakes every waiter: they may have missed something).
      await waiting.waitForWork({ queues: QUEUES, signal: new AbortController().signal, maxWaitMs: 100 });
      await waitFor(() => (waiting as unknown as { waker: { listening: boolean } }).waker.listening, { what: "the listener to connect" });
      const idleFrom = checks;
      const woke = waiting.waitForWork({ queues: QUEUES, signal: new AbortController().signal, maxWaitMs: 60_000 });
      // Long enough for the poll interval to have grown (50, 100, 200, 400 ms, …).
      await waitFor(() => checks >= idleFrom + 5, { what: "the waiter to idle" });
      const before = checks;
      const t0 = performance.now();
      await producer.enqueue({ jobs: [job("hello")], now: Date.now() });
      await within(woke, 5_000, "the wake-up");
      // A notification ends the wait at once; a poll would have run one more check first.
      expect({ checksAfterEnqueue: checks - before, ms: Math.round(performance.now() - t0) < 1_000 }).toEqual({ checksAfterEnqueue: 0, ms: true });
    });

    test("when the LISTEN session is cut (pg_terminate_backend), it comes back and wakes workers again", async () => {
      const schema = freshSchema();
      const waiting = await open({ schema });
      const producer = await open({ schema });
      const state = (waiting as unknown as { waker: { listening: boolean } }).waker;
      const first = waiting.waitForWork({ queues: QUEUES, signal: new AbortController().signal, maxWaitMs: 100 });
      await first;
      await waitFor(() => state.listening, { what: "the listener to connect" });
      const killed = await db.query<{ n: number }>(
        `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN "${schema}_wake"'`,
      );
      expect(killed).toEqual([{ n: 1 }]);
      await waitFor(() => !state.listening, { what: "the listener to notice" });
      await waitFor(() => state.listening, { timeoutMs: 10_000, what: "the listener to reconnect" });
      const woke = waiting.waitForWork({ queues: QUEUES, signal: new AbortController().signal, maxWaitMs: 60_000 });
      await producer.enqueue({ jobs: [job("after-cut")], now: Date.now() });
      await within(woke, 5_000, "the wake-up after the reconnect");
    });

    test("with LISTEN off the capped poll alone finds another process's job within 3 s (generous: the cap is 1 s)", async () => {
      const schema = freshSchema();
      const waiting = await open({ schema, listen: false });
      const producer = await open({ schema });
      const woke = waiting.waitForWork({ queues: QUEUES, signal: new AbortController().signal, maxWaitMs: 60_000 });
      await new Promise((r) => setTimeout(r, 1_500));
      const t0 = performance.now();
      await producer.enqueue({ jobs: [job("polled")], now: Date.now() });
      await within(woke, 3_000, "the poll to find it");
      expect(performance.now() - t0).toBeLessThan(3_000);
    });
  });

  describe("concurrency", () => {
    test("four processes claiming 2,000 jobs at once each get different jobs, and all of them", async () => {
      const schema = freshSchema();
      const stores = await Promise.all([0, 1, 2, 3].map(() => open({ schema, poolSize: 2 })));
      for (let i = 0; i < 2_000; i += 500) await stores[0].enqueue({ jobs: Array.from({ length: 500 }, (_, j) => job(`j${i + j}`)), now: Date.now() });
      const claimed = await Promise.all(
        stores.map(async (s, w) => {
          const mine: string[] = [];
          for (;;) {
            const got = await s.reserve({ queues: QUEUES, workerId: `w${w}`, max: 25, leaseMs: 30_000, now: Date.now() });
            if (got.length === 0) return mine;
            mine.push(...got.map((j) => j.id));
          }
        }),
      );
      const all = claimed.flat();
      expect(all.length).toBe(2_000);
      expect(new Set(all).size).toBe(2_000);
      expect(claimed.every((c) => c.length > 0)).toBe(true);
    });

    test("two transactions enqueuing the same unique key at once store one job; the second returns it", async () => {
      const schema = freshSchema();
      const store = await open({ schema });
      const a = new pg.Client({ connectionString: db.url });
      const b = new pg.Client({ connectionString: db.url });
      await Promise.all([a.connect(), b.connect()]);
      try {
        await a.query("BEGIN");
        await b.query("BEGIN");
        const [ra] = (await a.query(`SELECT * FROM ${schema}.enqueue('u', '{}', '{"key": "same"}')`)).rows;
        // b blocks on the unique index until a commits, then finds a's job.
        const pendingB = b.query(`SELECT * FROM ${schema}.enqueue('u', '{}', '{"key": "same"}')`);
        await new Promise((r) => setTimeout(r, 200));
        await a.query("COMMIT");
        const [rb] = (await pendingB).rows;
        await b.query("COMMIT");
        expect(ra.deduplicated).toBe(false);
        expect(rb).toEqual({ id: ra.id, deduplicated: true });
        expect((await store.listJobs({ limit: 10 })).jobs.map((j) => j.id)).toEqual([ra.id]);
      } finally {
        await Promise.all([a.end(), b.end()]);
      }
    });
  });

  test("progress reported without waiting (as jobs report it) lands in order, and before the job's completion", async () => {
    const store = await open({ schema: freshSchema(), poolSize: 4 });
    const [r] = await store.enqueue({ jobs: [job("chatty")], now: Date.now() });
    const [j] = await store.reserve({ queues: QUEUES, workerId: "w", max: 1, leaseMs: 30_000, now: Date.now() });
    for (let pct = 1; pct <= 20; pct++) void store.progress({ id: r.id, token: j.lease.token, progress: { pct } });
    await store.complete({ workerId: "w", jobs: [{ id: r.id, token: j.lease.token }], now: Date.now() });
    expect(await store.getJob(r.id)).toMatchObject({ state: "completed", progress: { pct: 20 } });
  });

  test("trim deletes more than one batch (1,000) per queue and state, and keeps the newest by count", async () => {
    const schema = freshSchema();
    const clock = new FakeClock(Date.UTC(2026, 5, 1));
    const store = await open({ schema, clock });
    await store.enqueue({ jobs: Array.from({ length: 2_600 }, (_, i) => job(`t${i}`)), now: clock.now() });
    for (;;) {
      const got = await store.reserve({ queues: QUEUES, workerId: "w", max: 500, leaseMs: 30_000, now: clock.now() });
      if (got.length === 0) break;
      await store.complete({ workerId: "w", jobs: got.map((j) => ({ id: j.id, token: j.lease.token })), now: clock.now() });
      clock.advance(1);
    }
    const removed = await store.trim({ policy: { completedMaxAgeMs: 86_400_000, completedMaxCount: 100, failedMaxAgeMs: 1, failedMaxCount: 1 }, now: clock.now() });
    expect(removed).toBe(2_500);
    const left = await store.listJobs({ state: "completed", limit: 1_000 });
    expect(left.jobs.length).toBe(100);
    clock.advance(86_400_001);
    expect(await store.trim({ policy: { completedMaxAgeMs: 86_400_000, completedMaxCount: 100, failedMaxAgeMs: 1, failedMaxCount: 1 }, now: clock.now() })).toBe(100);
  });

  test("prepared statements, LISTEN off (PgBouncer-style settings) and synchronous outcomes run the same claim and completion path", async () => {
    const schema = freshSchema();
    for (const preparedStatements of [true, false]) {
      const store = await open({ schema, preparedStatements, listen: false, asyncOutcomes: preparedStatements });
      const [r] = await store.enqueue({ jobs: [job(`p-${preparedStatements}`)], now: Date.now() });
      for (let i = 0; i < 3; i++) {
        const [j] = await store.reserve({ queues: QUEUES, workerId: "w", max: 1, leaseMs: 30_000, now: Date.now() });
        expect(j.id).toBe(r.id);
        await store.release({ workerId: "w", jobs: [{ id: j.id, token: j.lease.token }] });
      }
      const [j] = await store.reserve({ queues: QUEUES, workerId: "w", max: 1, leaseMs: 30_000, now: Date.now() });
      await store.reserve({ queues: QUEUES, workerId: "w", max: 1, leaseMs: 30_000, now: Date.now(), complete: [{ id: j.id, token: j.lease.token, result: { ok: true } }] });
      expect(await store.getJob(r.id)).toMatchObject({ state: "completed", result: { ok: true } });
      const [r2] = await store.enqueue({ jobs: [job(`c-${preparedStatements}`)], now: Date.now() });
      const [j2] = await store.reserve({ queues: QUEUES, workerId: "w", max: 1, leaseMs: 30_000, now: Date.now() });
      await store.complete({ workerId: "w", jobs: [{ id: j2.id, token: j2.lease.token, result: 2 }], now: Date.now() });
      expect(await store.getJob(r2.id)).toMatchObject({ state: "completed", result: 2 });
    }
  });

  test("an unreachable server fails open() within the connect timeout with StoreUnavailableError, naming it without the password", async () => {
    const store = new PostgresStore({ url: "postgres://app:hunter2@127.0.0.1:1/app", clock: systemClock, connectTimeoutMs: 1_000 });
    const t0 = performance.now();
    const err = await store.open().catch((e) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(err.message).toContain("postgres://app:***@127.0.0.1:1/app");
    expect(err.message).not.toContain("hunter2");
    expect(performance.now() - t0).toBeLessThan(5_000);
    await store.close();
  });

  test("checkServerConfig has no warning for a server with fsync and synchronous_commit on", async () => {
    const settings = await db.query<{ fsync: string; sync: string }>("SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sync");
    const store = await open({ schema: freshSchema() });
    const warnings = await store.checkServerConfig();
    if (settings[0].fsync === "on" && settings[0].sync !== "off") expect(warnings).toEqual([]);
    else expect(warnings.length).toBeGreaterThan(0);
  });
});
