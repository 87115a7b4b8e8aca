/**
 * What the contract suite cannot see about the SQLite store: the file on
 * disk (created, reopened, refused), typed open failures, the query plans of
 * the hot statements, waiting for another process's write lock, and the
 * idle-wait paths (another store on the same file, a delayed job falling
 * due, maxWaitMs under a fake clock).
 */

import { Database } from "bun:sqlite";
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../../src/core/clock.ts";
import { StoreUnavailableError } from "../../src/core/errors.ts";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { acquireLocalWake, releaseLocalWake } from "../../src/store/sqlite/poller.ts";
import { HOT_SQL, OLDEST_FAILED_SQL } from "../../src/store/sqlite/statements.ts";
import { waitFor, within } from "../helpers/wait.ts";

let dir: string;
let clock: FakeClock;
const opened: SqliteStore[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "qworker-sqlite-unit-"));
  clock = new FakeClock(Date.UTC(2026, 5, 1, 12, 0, 0));
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

async function openStore(path = join(dir, "qworker.db")): Promise<SqliteStore> {
  const store = new SqliteStore({ path, clock });
  await store.open();
  opened.push(store);
  return store;
}

const job = (name: string, extra: object = {}) => ({ name, queue: "default", data: { name }, maxAttempts: 3, ...extra });

describe("the file", () => {
  test("open creates missing parent folders, and jobs survive close and reopen", async () => {
    const path = join(dir, "deep", "er", "qworker.db");
    const first = await openStore(path);
    const [r] = await first.enqueue({ jobs: [job("kept", { data: { n: [1, 2] } })], now: clock.now() });
    await first.close();
    const second = await openStore(path);
    expect(await second.getJob(r.id)).toMatchObject({ id: r.id, state: "waiting", data: { n: [1, 2] } });
    const journal = new Database(path, { readonly: true });
    expect((journal.query("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode).toBe("wal");
    journal.close();
  });

  test("a path that cannot be opened is a StoreUnavailableError naming it", async () => {
    const blocker = join(dir, "not-a-folder");
    writeFileSync(blocker, "x");
    const bad = join(blocker, "qworker.db");
    const err = await new SqliteStore({ path: bad, clock }).open().catch((e) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(err.message).toContain(bad);
  });

  test("a file that is not a database is a StoreUnavailableError", async () => {
    const path = join(dir, "garbage.db");
    writeFileSync(path, "this is not a SQLite database, just some text that is long enough to have a header ".repeat(20));
    const err = await new SqliteStore({ path, clock }).open().catch((e) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(err.message).toContain(path);
  });

  test("a file from a newer schema is refused rather than misread", async () => {
    const path = join(dir, "future.db");
    const raw = new Database(path);
    raw.run("PRAGMA user_version = 999");
    raw.close();
    const err = await new SqliteStore({ path, clock }).open().catch((e) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(err.message).toContain("999");
  });

  test("calls before open are StoreUnavailableError, not crashes", async () => {
    const store = new SqliteStore({ path: join(dir, "never.db"), clock });
    await expect(store.getJob("x")).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    await store.close();
  });

  test("the hot statements use the partial indexes (no table scans, no sorts)", async () => {
    await openStore();
    const raw = new Database(join(dir, "qworker.db"), { readonly: true });
    const plan = (sql: string) => (raw.query(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(" | ");
    expect(plan(HOT_SQL.claim)).toContain("jobs_waiting");
    expect(plan(HOT_SQL.hasWaiting)).toContain("jobs_waiting");
    expect(plan(HOT_SQL.promote)).toContain("jobs_delayed");
    expect(plan(HOT_SQL.earliestDue)).toContain("jobs_delayed");
    expect(plan(HOT_SQL.hasDue)).toContain("jobs_delayed");
    expect(plan(HOT_SQL.expired)).toContain("jobs_active");
    expect(plan(HOT_SQL.uniqueHolder)).toContain("jobs_unique");
    expect(plan(HOT_SQL.deadWorkersActive)).toContain("jobs_active");
    expect(plan(HOT_SQL.trimOldest)).toContain("jobs_finished");
    expect(plan(HOT_SQL.trimBefore)).toContain("jobs_finished");
    expect(plan(HOT_SQL.counts)).not.toContain("jobs");
    expect(plan(OLDEST_FAILED_SQL)).toContain("jobs_finished");
    expect(plan(OLDEST_FAILED_SQL)).not.toContain("SCAN jobs");
    for (const sql of Object.values(HOT_SQL)) {
      expect(plan(sql)).not.toMatch(/SCAN jobs|TEMP B-TREE/);
    }
    raw.close();
  });
});

describe("the write lock", () => {
  /** Lets timers and I/O callbacks run, proving the event loop is not frozen. */
  const turnEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

  test("a write waits for another connection's lock without freezing the event loop", async () => {
    const path = join(dir, "qworker.db");
    const store = await openStore(path);
    const other = new Database(path);
    other.run("BEGIN IMMEDIATE");
    let settled = false;
    const pending = store.enqueue({ jobs: [job("after-lock")], now: clock.now() }).then((r) => ((settled = true), r));
    for (let i = 0; i < 5; i++) await turnEventLoop();
    expect(settled).toBe(false);
    other.run("COMMIT");
    other.close();
    const [r] = await within(pending, 2_000, "enqueue once the lock is free");
    expect((await store.getJob(r.id))!.state).toBe("waiting");
  });

  test("closing the store while a write waits for the lock fails that write as unavailable", async () => {
    const path = join(dir, "qworker.db");
    const store = new SqliteStore({ path, clock });
    await store.open();
    const other = new Database(path);
    other.run("BEGIN IMMEDIATE");
    const pending = store.enqueue({ jobs: [job("never")], now: clock.now() }).catch((e) => e);
    await turnEventLoop();
    await store.close();
    expect(await within(pending, 2_000, "the waiting enqueue to give up")).toBeInstanceOf(StoreUnavailableError);
    other.run("ROLLBACK");
    other.close();
  });
});

describe("waiting for work", () => {
  test("an enqueue through another store on the same file wakes a waiter within 2 s, long before its 60 s maxWaitMs", async () => {
    const a = await openStore();
    const b = await openStore();
    const ctl = new AbortController();
    const woke = a.waitForWork({ queues: ["default"], signal: ctl.signal, maxWaitMs: 60_000 }).then(() => "woke");
    await b.enqueue({ jobs: [job("x")], now: clock.now() });
    expect(await within(woke, 2_000, "waitForWork after another store's enqueue")).toBe("woke");
  });

  test("another process's enqueues wake an idle waiter through the WAL watch, also when the WAL is checkpointed between commits: 9 of 10 within 100 ms (its polls are 1 s apart; generous for a shared machine)", async () => {
    const path = join(dir, "qworker.db");
    const store = await openStore(path);
    // Another connection checkpoints all the time, so each enqueue restarts the WAL, which changes data_version before its commit lands.
    const checkpointer = new Database(path);
    const checkpoint = checkpointer.query("PRAGMA wal_checkpoint(PASSIVE)");
    const every = setInterval(() => {
      try {
        checkpoint.get();
      } catch {
        // busy for a moment: the next one
      }
    }, 50);
    const wake = acquireLocalWake(path);
    expect(wake.watching).toBe(true);
    const nudgesBefore = wake.nudges;
    // One producer process, 10 jobs 150-350 ms apart, each carrying the time of its enqueue call.
    const src = (f: string) => JSON.stringify(join(import.meta.dir, "../../src", f));
    const child = Bun.spawn(
      [process.execPath, "-e", `import { SqliteStore } from ${src("store/sqlite/sqlite-store.ts")}; import { systemClock } from ${src("core/clock.ts")};
       const s = new SqliteStore({ path: ${JSON.stringify(path)}, clock: systemClock }); await s.open();
       await Bun.sleep(1_500);
       for (let i = 0; i < 10; i++) { await Bun.sleep(150 + Math.random() * 200); const t = Date.now(); await s.enqueue({ jobs: [{ name: "x", queue: "default", data: { t }, maxAttempts: 1 }], now: t }); }
       await s.close();`],
      { stdout: "inherit", stderr: "inherit" },
    );
    const delays: number[] = [];
    const ctl = new AbortController();
    const consume = (async () => {
      while (delays.length < 10) {
        await store.waitForWork({ queues: ["default"], signal: ctl.signal, maxWaitMs: 60_000 });
        const got = await store.reserve({ queues: ["default"], workerId: "w", max: 10, leaseMs: 60_000, now: clock.now() });
        for (const j of got) delays.push(Date.now() - (j.data as { t: number }).t);
      }
    })();
    await within(consume, 20_000, "ten wakes");
    expect(await child.exited).toBe(0);
    delays.sort((a, b) => a - b);
    expect(delays[8], `wake delays ${delays.join(", ")} ms`).toBeLessThan(100);
    expect(wake.nudges).toBeGreaterThanOrEqual(nudgesBefore + 10);
    releaseLocalWake(wake);
    clearInterval(every);
    checkpointer.close(false);
  }, 40_000);

  test("a delayed job falling due ends the wait without any write", async () => {
    const store = await openStore();
    await store.enqueue({ jobs: [job("later", { runAt: clock.now() + 5_000 })], now: clock.now() });
    const ctl = new AbortController();
    let done = false;
    const waiting = store.waitForWork({ queues: ["default"], signal: ctl.signal, maxWaitMs: 60_000 }).then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    clock.advance(5_000);
    await within(waiting, 2_000, "waitForWork once the delayed job is due");
    expect(await store.reserve({ queues: ["default"], workerId: "w", max: 10, leaseMs: 1_000, now: clock.now() })).toHaveLength(1);
  });

  test("maxWaitMs ends the wait even when the injected clock stands still", async () => {
    const store = await openStore();
    const ctl = new AbortController();
    await within(store.waitForWork({ queues: ["default"], signal: ctl.signal, maxWaitMs: 50 }), 2_000, "waitForWork with maxWaitMs 50");
  });

  test("a paused queue's jobs are not work, and close releases waiters", async () => {
    const store = await openStore();
    await store.enqueue({ jobs: [job("p")], now: clock.now() });
    await store.pauseQueue("default");
    const ctl = new AbortController();
    let done = false;
    const waiting = store.waitForWork({ queues: ["default"], signal: ctl.signal, maxWaitMs: 60_000 }).then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    await store.close();
    await within(waiting, 2_000, "waitForWork after close");
  });
});

describe("flow control state stays bounded", () => {
  test("a rate key's row outlives its last start only until its spacing passes: the rescuer's pass drops it; a finished concurrency key goes at once", async () => {
    const path = join(dir, "qworker.db");
    const store = await openStore(path);
    await store.enqueue({ jobs: Array.from({ length: 20 }, (_, i) => job(`r${i}`, { flow: { limits: [{ key: `j:r:${i}`, max: 1, perMs: 60_000 }, { key: `j:c:${i}`, max: 2 }] } })), now: clock.now() });
    const got = await store.reserve({ queues: ["default"], workerId: "w", max: 20, leaseMs: 30_000, now: clock.now() });
    expect(got.length).toBe(20);
    await store.complete({ workerId: "w", jobs: got.map((j) => ({ id: j.id, token: j.lease.token })), now: clock.now() });
    const raw = new Database(path, { readonly: true });
    const keys = () => (raw.query("SELECT key FROM flow_keys ORDER BY key").all() as { key: string }[]).map((r) => r.key);
    expect(keys().every((k) => k.startsWith("j:r:"))).toBe(true);
    expect(keys().length).toBe(20);
    clock.advance(60_000);
    await store.rescueExpired({ maxStalls: 2, limit: 100, now: clock.now() });
    expect(keys()).toEqual([]);
    raw.close();
  });
});
