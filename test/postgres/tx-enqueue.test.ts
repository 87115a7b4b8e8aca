/**
 * The transactional enqueue: `qw.enqueue(name, data, { tx })` stores the
 * job through the app's own transaction. With a running WorkerPool on the
 * same database, for each driver an app may hold the transaction with:
 * a job whose transaction rolls back never runs, one whose transaction
 * commits runs exactly once, and no worker can see or claim a job before
 * its commit, however often it polls meanwhile.
 *
 * Drivers: node-postgres (a PoolClient inside BEGIN) and Bun.SQL (the `tx`
 * of `sql.begin`), which takes the same path as porsager's `postgres` (a
 * TransactionSql has the same `unsafe(text, params)`). porsager's package
 * is not a dependency of this repository, so it is not tested here.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SQL } from "bun";
import { join } from "node:path";
import pg from "pg";
import { QworkerClient, UsageError } from "../../src/client.ts";
import { systemClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { Registry } from "../../src/registry/registry.ts";
import { PostgresStore } from "../../src/store/postgres/postgres-store.ts";
import type { AppTransaction } from "../../src/store/postgres/tx-enqueue.ts";
import { MAX_POLL_MS } from "../../src/store/postgres/waker.ts";
import { WorkerPool } from "../../src/worker/pool.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres.ts";
import { describeNeeding } from "../helpers/requirements.ts";
import { waitFor, within } from "../helpers/wait.ts";

const QUEUES = ["critical", "default", "low"];

/** Runs `fn` inside a transaction of the app's driver: committed if it returns, rolled back if it throws. */
interface Driver {
  transaction<T>(fn: (tx: AppTransaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

function nodePostgres(url: string): Driver {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on("error", () => {});
  return {
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const out = await fn(client);
        await client.query("COMMIT");
        return out;
      } catch (err) {
        await client.query("ROLLBACK");
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

function bunSql(url: string): Driver {
  const sql = new SQL({ url, max: 2 });
  return {
    transaction: (fn) => sql.begin((tx) => fn(tx as unknown as AppTransaction)) as Promise<never>,
    close: () => sql.close(),
  };
}

const DRIVERS: [string, (url: string) => Driver][] = [
  ["pg: a PoolClient inside BEGIN", nodePostgres],
  ["Bun.SQL: the tx of sql.begin", bunSql],
];

class Rollback extends Error {}

describeNeeding("postgres")("transactional enqueue", () => {
  let db: TestDatabase;
  let store: PostgresStore;
  let pool: WorkerPool;
  let qw: QworkerClient;
  /** Ids the pool started, in order, with repeats. */
  const starts: string[] = [];
  const ended = new Set<string>();

  beforeAll(async () => {
    db = await createTestDatabase("tx");
    store = new PostgresStore({ url: db.url, clock: systemClock });
    await store.open();
    const registry = (await Registry.load({ dir: join(import.meta.dir, "../fixtures/pool-jobs"), queues: QUEUES })).assertValid();
    pool = new WorkerPool({ store, registry, clock: systemClock, log: silentLogger, queues: QUEUES, concurrency: 4, leaseMs: 30_000, enqueue: async () => "" });
    pool.events.on("job:start", (e) => starts.push(e.id));
    pool.events.on("job:end", (e) => ended.add(e.id));
    pool.start();
    // The app's side: no server URL needed for { tx } enqueues, only the schema.
    qw = new QworkerClient({ postgresSchema: "qworker" });
  });

  afterAll(async () => {
    await qw?.close();
    await pool?.stop(0);
    await store?.close();
    await db?.drop();
  });

  /** Enqueues an ordinary job and waits until it ran: everything committed before it has had its chance too. */
  async function drained(): Promise<void> {
    const [{ id }] = await store.enqueue({ jobs: [{ name: "behave", queue: "low", data: { action: "ok" }, maxAttempts: 1 }], now: Date.now() });
    await waitFor(() => ended.has(id), { timeoutMs: 20_000, what: `marker job ${id} to run` });
  }

  for (const [label, make] of DRIVERS) {
    describe(label, () => {
      let driver: Driver;
      beforeAll(() => {
        driver = make(db.url);
      });
      afterAll(async () => {
        await driver?.close();
      });

      test("a job enqueued in a transaction that rolls back is never stored and never runs", async () => {
        let id = "";
        const err = await driver
          .transaction(async (tx) => {
            id = (await qw.enqueue("behave", { action: "ok" }, { tx })).id;
            throw new Rollback("the signup failed");
          })
          .catch((e) => e);
        expect(err).toBeInstanceOf(Rollback);
        expect(id).toMatch(/^\d+$/);
        await drained();
        expect(await store.getJob(id)).toBeUndefined();
        expect(starts).not.toContain(id);
      }, 60_000);

      test("a job enqueued in a transaction that commits runs exactly once", async () => {
        const { id } = await driver.transaction(async (tx) => qw.enqueue("behave", { action: "ok" }, { tx }));
        await waitFor(() => ended.has(id), { timeoutMs: 20_000, what: `job ${id} to run` });
        await drained();
        expect(starts.filter((s) => s === id).length).toBe(1);
        expect(await store.getJob(id)).toMatchObject({ state: "completed", attemptsMade: 1 });
      }, 60_000);

      test(`a job is invisible before its commit: a running pool (polling every ${MAX_POLL_MS} ms at most) and a second worker claiming in between never get it`, async () => {
        let release!: () => void;
        const hold = new Promise<void>((resolve) => (release = resolve));
        let id = "";
        const enqueued = new Promise<void>((resolve) => {
          void driver.transaction(async (tx) => {
            id = (await qw.enqueue("behave", { action: "ok" }, { tx })).id;
            resolve();
            await hold;
          });
        });
        await within(enqueued, 10_000, "the enqueue inside the transaction");
        // Open for more than two of the pool's longest poll intervals, with explicit claims by another worker meanwhile.
        const openUntil = Date.now() + 2.5 * MAX_POLL_MS;
        let claims = 0;
        while (Date.now() < openUntil) {
          const got = await store.reserve({ queues: QUEUES, workerId: "nosy-worker", max: 100, leaseMs: 30_000, now: Date.now() });
          expect(got.map((j) => j.id)).not.toContain(id);
          claims++;
          expect(await store.getJob(id)).toBeUndefined();
          await new Promise((r) => setTimeout(r, 100));
        }
        expect(claims).toBeGreaterThanOrEqual(5);
        expect(starts).not.toContain(id);
        const counts = (await store.counts(QUEUES)).find((c) => c.queue === "default")!;
        expect(counts.waiting + counts.active).toBe(0);
        release();
        await waitFor(() => ended.has(id), { timeoutMs: 20_000, what: `job ${id} to run after the commit` });
        await drained();
        expect(starts.filter((s) => s === id).length).toBe(1);
      }, 60_000);
    });
  }

  test("options and checks are the direct client's: defaults, in, key dedupe inside the transaction; a bad item stores nothing", async () => {
    const driver = nodePostgres(db.url);
    try {
      const [a, b, delayed] = await driver.transaction(async (tx) => [
        await qw.enqueue("report", { month: 1 }, { tx, key: "m1", queue: "low" }),
        await qw.enqueue("report", { month: 1 }, { tx, key: "m1", queue: "low" }),
        await qw.enqueue("later", undefined, { tx, in: 3600 }),
      ]);
      expect(b).toEqual({ id: a.id, deduplicated: true });
      expect(await store.getJob(a.id)).toMatchObject({ name: "report", queue: "low", maxAttempts: 3, priority: 0, uniqueKey: "m1", state: "waiting" });
      expect(await store.getJob(delayed.id)).toMatchObject({ state: "delayed", data: {} });
      const bad = await driver.transaction(async (tx) => qw.enqueueMany([{ name: "x" }, { name: "y", priority: -1 }], { tx })).catch((e) => e);
      expect(bad).toBeInstanceOf(UsageError);
      expect(bad.message).toContain("item 1");
      await store.cancelJob({ id: a.id, now: Date.now() });
      await store.cancelJob({ id: delayed.id, now: Date.now() });
    } finally {
      await driver.close();
    }
  }, 60_000);

  test("a Pool or a top-level sql is refused: each statement would commit on its own", async () => {
    const pgPool = new pg.Pool({ connectionString: db.url, max: 1 });
    const sql = new SQL({ url: db.url, max: 1 });
    try {
      const a = await qw.enqueue("x", {}, { tx: pgPool }).catch((e) => e);
      expect(a).toBeInstanceOf(UsageError);
      expect(a.message).toContain("pool.connect()");
      const b = await qw.enqueue("x", {}, { tx: sql as unknown as AppTransaction }).catch((e) => e);
      expect(b).toBeInstanceOf(UsageError);
      expect(b.message).toContain("sql.begin");
    } finally {
      await pgPool.end();
      await sql.close();
    }
  });

  test("a client for another schema gets a UsageError naming the schema, and the app's transaction rolls back", async () => {
    const other = new QworkerClient({ postgresSchema: "not_there" });
    const driver = nodePostgres(db.url);
    try {
      const err = await driver.transaction(async (tx) => other.enqueue("x", {}, { tx })).catch((e) => e);
      expect(err).toBeInstanceOf(UsageError);
      expect(err.message).toContain('"not_there"');
    } finally {
      await other.close();
      await driver.close();
    }
  });

  test("an HTTP client refuses { tx }", async () => {
    const http = new QworkerClient({ url: "http://127.0.0.1:1" });
    const err = await http.enqueue("x", {}, { tx: { query: async () => ({ rows: [] }) } }).catch((e) => e);
    expect(err).toBeInstanceOf(UsageError);
    await http.close();
  });
});
