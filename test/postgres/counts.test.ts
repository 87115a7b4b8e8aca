/**
 * The PostgreSQL store's kept counts (src/store/postgres/counters.ts)
 * against the truth, a `GROUP BY` of the jobs table: under several
 * processes claiming at once while folds race them, with the app's
 * transactional enqueue (`qworker.enqueue`, committed and rolled back),
 * with writes made behind qworker's back (DELETE, UPDATE, TRUNCATE), and
 * after the upgrade of a version 1 schema that already holds jobs. One
 * fresh database for the file, a schema per test.
 */

import { afterAll, beforeAll, expect, test } from "bun:test";
import pg from "pg";
import { systemClock } from "../../src/core/clock.ts";
import { JOB_STATES, type NewJob, type QueueCounts } from "../../src/core/types.ts";
import { counterStatements } from "../../src/store/postgres/counters.ts";
import { schemaNames } from "../../src/store/postgres/names.ts";
import { PostgresStore } from "../../src/store/postgres/postgres-store.ts";
import { migrate } from "../../src/store/postgres/schema.ts";
import type { ReservedJob } from "../../src/store/store.ts";
import { seeded } from "../fuzz/random.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres.ts";
import { describeNeeding } from "../helpers/requirements.ts";

const QUEUES = ["critical", "default", "low"];
let db: TestDatabase;
let n = 0;
const opened: PostgresStore[] = [];

async function open(schema: string): Promise<PostgresStore> {
  const store = new PostgresStore({ url: db.url, schema, clock: systemClock, poolSize: 3 });
  await store.open();
  opened.push(store);
  return store;
}

const job = (i: number, extra: Partial<NewJob> = {}): NewJob => ({ name: "work", queue: QUEUES[i % 3], data: { i }, maxAttempts: 2, ...extra });

/** Kept counts, and the same from a GROUP BY of the jobs table, as plain rows sorted by queue. */
async function keptAndScanned(store: PostgresStore, schema: string): Promise<{ kept: unknown[]; scanned: unknown[] }> {
  const strip = (rows: QueueCounts[]) => rows.map(({ paused: _, ...c }) => c).filter((c) => JOB_STATES.some((s) => c[s] !== 0)).sort((a, b) => (a.queue < b.queue ? -1 : 1));
  const kept = strip(await store.counts([]));
  const rows = await db.query<{ queue: string; state: (typeof JOB_STATES)[number]; n: number }>(`SELECT queue, state, count(*)::int AS n FROM ${schema}.jobs GROUP BY 1, 2`);
  const byQueue = new Map<string, QueueCounts>();
  for (const r of rows) {
    let c = byQueue.get(r.queue);
    if (!c) byQueue.set(r.queue, (c = { queue: r.queue, paused: false, ...Object.fromEntries(JOB_STATES.map((s) => [s, 0])) } as QueueCounts));
    c[r.state] = r.n;
  }
  return { kept, scanned: strip([...byQueue.values()]) };
}

describeNeeding("postgres")("postgres kept counts", () => {
  beforeAll(async () => {
    db = await createTestDatabase("counts");
  });
  afterAll(async () => {
    for (const s of opened) await s.close();
    await db?.drop();
  });

  test("ctx.rateLimited's put-back (release with a pause): the job waits out the pause as delayed, its attempt not spent, and the kept counts follow", async () => {
    const schema = `s${n++}`;
    const store = await open(schema);
    const [r] = await store.enqueue({ jobs: [job(0)], now: Date.now() });
    const [held] = await store.reserve({ queues: QUEUES, workerId: "w", max: 1, leaseMs: 30_000, now: Date.now() });
    const now = Date.now();
    await store.release({ workerId: "w", jobs: [{ id: held.id, token: held.lease.token }], pause: { ms: 60_000, now } });
    const rec = (await store.getJob(r.id))!;
    expect(rec.state).toBe("delayed");
    expect(rec.runAt).toBe(now + 60_000);
    expect(rec.attemptsMade).toBe(0);
    expect(held.attemptsMade).toBe(0);
    expect(await store.reserve({ queues: QUEUES, workerId: "w", max: 1, leaseMs: 30_000, now: now + 1_000 })).toEqual([]);
    const { kept, scanned } = await keptAndScanned(store, schema);
    expect(kept).toEqual(scanned);
    expect(kept).toEqual([expect.objectContaining({ queue: "critical", delayed: 1, active: 0 })]);
  });

  test("four processes claiming, completing, failing and rescuing at once, app transactions enqueuing and rolling back, and folds racing them: kept counts equal a GROUP BY", async () => {
    const schema = `s${n++}`;
    const stores = await Promise.all([0, 1, 2, 3].map(() => open(schema)));
    const app = new pg.Pool({ connectionString: db.url, max: 2 });
    let stop = false;
    try {
      // The app: jobs in its own transactions through qworker.enqueue, every third one rolled back.
      const appLoop = (async () => {
        for (let i = 0; i < 60; i++) {
          const c = await app.connect();
          try {
            await c.query("BEGIN");
            await c.query(`SELECT * FROM ${schema}.enqueue('work', $1::text::jsonb, $2::text::jsonb)`, [JSON.stringify({ i }), JSON.stringify({ queue: QUEUES[i % 3] })]);
            await c.query(`SELECT * FROM ${schema}.enqueue('work', '{}', '{"queue": "app-only", "in": 3600}')`);
            await c.query(i % 3 === 0 ? "ROLLBACK" : "COMMIT");
          } finally {
            c.release();
          }
        }
      })();
      // Folds as often as the server lets them, from another session.
      const folds = (async () => {
        while (!stop) await db.query(counterStatements(schemaNames(schema)).fold);
      })();
      const workers = stores.map(async (store, w) => {
        const r = seeded(100 + w);
        const held: ReservedJob[] = [];
        for (let round = 0; round < 60; round++) {
          await store.enqueue({ jobs: Array.from({ length: 1 + r.int(20) }, (_, i) => job(round * 100 + i, { runAt: r.chance(0.1) ? Date.now() + r.int(50) : undefined })), now: Date.now() });
          const done = held.splice(0, r.int(held.length + 1));
          // Short leases: some run out and the rescue (any process) takes them back.
          const got = await store.reserve({ queues: QUEUES, workerId: `w${w}`, max: 1 + r.int(10), leaseMs: r.pick([5, 60_000]), now: Date.now(), complete: done.map((j) => ({ id: j.id, token: j.lease.token })) });
          held.push(...got);
          const j = held.shift();
          if (j && r.chance(0.5)) await store.fail({ workerId: `w${w}`, id: j.id, token: j.lease.token, error: { attempt: 1, message: "x" }, retryAt: r.chance(0.5) ? Date.now() : undefined, now: Date.now() });
          else if (j) await store.complete({ workerId: `w${w}`, jobs: [{ id: j.id, token: j.lease.token }], now: Date.now() });
          if (round % 10 === 0) await store.rescueExpired({ maxStalls: 1, limit: 100, now: Date.now() + 10 });
          if (round % 15 === 0) await store.trim({ policy: { completedMaxAgeMs: 0, completedMaxCount: 5, failedMaxAgeMs: 60_000, failedMaxCount: 3 }, now: Date.now() });
        }
      });
      await Promise.all([appLoop, ...workers]);
      stop = true;
      await folds;
      const { kept, scanned } = await keptAndScanned(stores[0], schema);
      expect(kept).toEqual(scanned);
      expect(scanned.length).toBeGreaterThan(1);
      // Some deltas were folded and the rest are pending: a fold leaves none and changes nothing.
      await db.query(counterStatements(schemaNames(schema)).fold);
      expect(await db.query(`SELECT count(*)::int AS n FROM ${schema}.count_deltas`)).toEqual([{ n: 0 }]);
      expect((await keptAndScanned(stores[0], schema)).kept).toEqual(scanned);
    } finally {
      stop = true;
      await app.end();
    }
  });

  test("writes made behind qworker's back (DELETE, UPDATE, TRUNCATE) are counted too", async () => {
    const schema = `s${n++}`;
    const store = await open(schema);
    await store.enqueue({ jobs: Array.from({ length: 30 }, (_, i) => job(i)), now: Date.now() });
    await db.query(`UPDATE ${schema}.jobs SET state = 'cancelled', finished_at = 1 WHERE id::int % 4 = 0`);
    await db.query(`DELETE FROM ${schema}.jobs WHERE id::int % 5 = 0`);
    const moved = await keptAndScanned(store, schema);
    expect(moved.kept).toEqual(moved.scanned);
    await db.query(`TRUNCATE ${schema}.jobs`);
    expect((await keptAndScanned(store, schema)).kept).toEqual([]);
    await store.enqueue({ jobs: [job(1)], now: Date.now() });
    expect((await store.counts(["default"]))[0]).toMatchObject({ queue: "default", waiting: 1 });
  });

  test("upgrading a version 1 schema that holds jobs counts them, lists queues by their oldest job, and a v1-era statement afterwards is counted", async () => {
    const schema = `s${n++}`;
    const names = schemaNames(schema);
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      await migrate(c, names, 1);
      expect(await db.query(`SELECT to_regclass('${schema}.queue_counts') AS t`)).toEqual([{ t: null }]);
      const enqueue = (queue: string, k: number, at: number) =>
        c.query(`SELECT * FROM ${schema}.enqueue_json($1::text::json, $2::bigint)`, [JSON.stringify(Array.from({ length: k }, () => ({ name: "work", queue, max_attempts: 1 }))), at]);
      await enqueue("zeta", 5, 1_000);
      await enqueue("alpha", 7, 2_000);
      await c.query(`UPDATE ${schema}.jobs SET state = 'completed', finished_at = 3000 WHERE id IN ('1', '2', '6')`);
    } finally {
      await c.end();
    }
    const store = await open(schema);
    expect((await store.counts([])).map(({ paused: _, ...q }) => q)).toEqual([
      { queue: "zeta", waiting: 3, delayed: 0, active: 0, completed: 2, failed: 0, cancelled: 0 },
      { queue: "alpha", waiting: 6, delayed: 0, active: 0, completed: 1, failed: 0, cancelled: 0 },
    ]);
    const [got] = await store.reserve({ queues: ["alpha"], workerId: "w", max: 1, leaseMs: 60_000, now: Date.now() });
    // The completion statement of schema version 1 (an older qworker still running during the upgrade).
    await db.query(`UPDATE ${schema}.jobs SET state = 'completed', finished_at = 4000 WHERE id = $1 AND state = 'active'`, [got.id]);
    const after = await keptAndScanned(store, schema);
    expect(after.kept).toEqual(after.scanned);
    expect(after.kept).toContainEqual({ queue: "alpha", waiting: 5, delayed: 0, active: 0, completed: 2, failed: 0, cancelled: 0 });
  });

  test("the counts read never touches the jobs table (its plan names only queue_counts and count_deltas)", async () => {
    const schema = `s${n++}`;
    await open(schema);
    const plan = await db.query<{ "QUERY PLAN": string }>(`EXPLAIN ${counterStatements(schemaNames(schema)).counts}`);
    const text = plan.map((r) => r["QUERY PLAN"]).join("\n");
    expect(text).toContain("queue_counts");
    expect(text).toContain("count_deltas");
    expect(text).not.toMatch(/\bjobs\b/);
  });
});
