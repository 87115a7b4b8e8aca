/**
 * Files made by older qworker versions open and migrate: a file at schema
 * version 5 (before the kept counts, issue 17/19) is built here with the
 * shipped migrations and rows as version 5 wrote them, then opened by
 * today's store. Its counts must equal a scan, and must stay equal through
 * every kind of move after the migration.
 */

import { Database } from "bun:sqlite";
import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../../src/core/clock.ts";
import type { QueueCounts } from "../../src/core/types.ts";
import { MIGRATIONS, SCHEMA_VERSION } from "../../src/store/sqlite/schema.ts";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { scanCounts } from "../contract/differential.ts";

let dir: string;
let clock: FakeClock;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "qworker-migrate-"));
  clock = new FakeClock(Date.UTC(2026, 5, 1, 12, 0, 0));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const QUEUES = ["critical", "default", "low"];

/** A version-5 file: the first five migrations, and jobs in every state as version 5 stored them. */
function makeVersion5File(path: string, now: number): void {
  const raw = new Database(path, { create: true });
  raw.run("PRAGMA journal_mode = WAL");
  for (const sql of MIGRATIONS.slice(0, 5)) raw.exec(sql);
  raw.run("PRAGMA user_version = 5");
  const insert = raw.prepare(
    `INSERT INTO jobs (id, name, queue, state, priority, seq, data, attempts_made, max_attempts, run_at, created_at, started_at, finished_at, lease_worker, lease_token, lease_until, result)
     VALUES (?, 'a', ?, ?, 0, ?, '{}', ?, 3, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  let n = 0;
  const add = (queue: string, state: string, extra: { finishedAt?: number | null; worker?: string; runAt?: number } = {}) => {
    n++;
    const active = state === "active";
    const finished = extra.finishedAt !== undefined ? extra.finishedAt : ["completed", "failed", "cancelled"].includes(state) ? now - 1_000 * n : null;
    insert.run(String(n), queue, state, n, state === "completed" ? 1 : 0, extra.runAt ?? now - 60_000, now - 60_000, active || finished ? now - 30_000 : null, finished, active ? (extra.worker ?? "w-old") : null, active ? 1 : 0, active ? now + 30_000 : null, state === "completed" ? "1" : null);
  };
  for (let i = 0; i < 3; i++) add("default", "waiting");
  add("default", "delayed", { runAt: now + 60_000 });
  add("default", "active");
  add("low", "active", { worker: "w-other" });
  for (let i = 0; i < 4; i++) add("default", "completed");
  add("low", "completed");
  add("default", "failed");
  add("low", "failed");
  add("low", "cancelled");
  // A queue no config names, and two rows that break the rule "finished_at is set exactly while finished".
  add("extra", "waiting", { finishedAt: now - 5_000 });
  add("extra", "completed", { finishedAt: null });
  raw.prepare("UPDATE counters SET value = ? WHERE name = 'jobid'").run(n);
  raw.close();
}

const strip = (rows: QueueCounts[]) => rows.map(({ paused: _, ...c }) => c).sort((a, b) => a.queue.localeCompare(b.queue));

test("a version-5 file migrates to the current version with counts equal to a scan, the new indexes, and finished times made consistent", async () => {
  const path = join(dir, "old.db");
  makeVersion5File(path, clock.now());
  const store = new SqliteStore({ path, clock });
  await store.open();
  try {
    const counts = await store.counts(QUEUES);
    expect(strip(counts)).toEqual(strip(await scanCounts(store, QUEUES)));
    expect(counts.find((c) => c.queue === "default")).toMatchObject({ waiting: 3, delayed: 1, active: 1, completed: 4, failed: 1, cancelled: 0 });
    expect(counts.find((c) => c.queue === "extra")).toMatchObject({ waiting: 1, completed: 1 });
    // Named queues first, in their order; then the others.
    expect(counts.map((c) => c.queue)).toEqual(["critical", "default", "low", "extra"]);

    const raw = new Database(path, { readonly: true });
    expect((raw.query("PRAGMA user_version").get() as { user_version: number }).user_version).toBe(SCHEMA_VERSION);
    const indexes = (raw.query("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'jobs'").all() as { name: string; sql: string | null }[]).map((r) => r.name);
    expect(indexes).not.toContain("jobs_active_worker");
    expect((raw.query("SELECT sql FROM sqlite_master WHERE name = 'jobs_finished'").get() as { sql: string }).sql).toContain("finished_at IS NOT NULL");
    const broken = raw.query(
      "SELECT count(*) AS n FROM jobs WHERE (finished_at IS NULL) = (state IN ('completed', 'failed', 'cancelled'))",
    ).get() as { n: number };
    expect(broken.n).toBe(0);
    raw.close();
  } finally {
    await store.close();
  }
});

test("after the migration, counts follow every move (claim, complete, fail, retry, cancel, release, rescue, promote, remove, trim) and equal a scan", async () => {
  const path = join(dir, "old.db");
  makeVersion5File(path, clock.now());
  const store = new SqliteStore({ path, clock });
  await store.open();
  const check = async (after: string) => expect({ after, counts: strip(await store.counts(QUEUES)) }).toEqual({ after, counts: strip(await scanCounts(store, QUEUES)) });
  try {
    const now = () => clock.now();
    const got = await store.reserve({ queues: QUEUES, workerId: "w", max: 2, leaseMs: 10_000, now: now() });
    expect(got).toHaveLength(2);
    await check("reserve");
    await store.complete({ workerId: "w", jobs: [{ id: got[0].id, token: got[0].lease.token }], now: now() });
    await check("complete");
    await store.fail({ workerId: "w", id: got[1].id, token: got[1].lease.token, error: { attempt: 1, message: "x" }, retryAt: now() + 1_000, now: now() });
    await check("fail with a retry");
    await store.retryJob({ id: "12", now: now() }); // the failed job of "default"
    await check("retry");
    await store.cancelJob({ id: "4", now: now() }); // the delayed one
    await check("cancel");
    const again = await store.reserve({ queues: QUEUES, workerId: "w", max: 1, leaseMs: 10_000, now: now() });
    await store.release({ workerId: "w", jobs: again.map((j) => ({ id: j.id, token: j.lease.token })) });
    await check("release");
    clock.advance(60_000);
    await store.rescueExpired({ maxStalls: 1, limit: 100, now: now() });
    await check("rescue of the old file's expired leases");
    await store.promoteDue({ limit: 100, now: now() });
    await check("promote");
    await store.removeJob("14"); // the cancelled job of "low"
    await check("remove");
    const removed = await store.trim({ policy: { completedMaxAgeMs: 3_600_000, completedMaxCount: 1, failedMaxAgeMs: 3_600_000, failedMaxCount: 0 }, now: now() });
    expect(removed).toBeGreaterThan(0);
    await check("trim");
    const counts = await store.counts(QUEUES);
    for (const c of counts) {
      expect(c.completed).toBeLessThanOrEqual(1);
      expect(c.failed + c.cancelled).toBe(0);
    }
  } finally {
    await store.close();
  }
});
