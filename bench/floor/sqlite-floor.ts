/**
 * The least work any runner with qworker's guarantees must do per job on
 * one SQLite file, so qworker's whole-process drain can be quoted as a
 * share of it (issue 19). Nothing a qworker job relies on is skipped:
 *
 *  - durability: WAL with synchronous=NORMAL, as qworker's store;
 *  - a lease on every claimed job (holder and expiry written by the claim),
 *    kept where a rescuer finds the expired ones without a scan (an index
 *    on the expiry of active jobs: a lease nobody can find is no guarantee);
 *  - claims in priority order, in one IMMEDIATE transaction per batch;
 *  - an async handler call per job with its parsed payload, under a
 *    timeout that fires (a deadline per claimed batch, one sweep timer);
 *  - a durable completion record per job, fenced on the lease holder.
 *
 * What it leaves out is what makes qworker a product rather than a loop:
 * retries and backoff, delayed jobs, unique keys, progress, logs, events,
 * cancellation, heartbeats and rescue, retention. Those are the overhead
 * the share measures.
 *
 *   bun bench/floor/sqlite-floor.ts seed <db> <jobs>
 *   bun bench/floor/sqlite-floor.ts drain <db> [concurrency=50]
 *   bun bench/floor/sqlite-floor.ts insert <db> <jobs> [batch=1000]
 */

import { Database } from "bun:sqlite";

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS jobs (
    id           INTEGER PRIMARY KEY,
    queue        TEXT    NOT NULL,
    priority     INTEGER NOT NULL,
    state        TEXT    NOT NULL,
    payload      TEXT    NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    lease_worker TEXT,
    lease_until  INTEGER,
    result       TEXT,
    finished_at  INTEGER
  );
  CREATE INDEX IF NOT EXISTS jobs_waiting ON jobs (queue, priority, id) WHERE state = 'waiting';
  CREATE INDEX IF NOT EXISTS jobs_leased  ON jobs (lease_until) WHERE state = 'active';
`;

export function openFloor(path: string): Database {
  const db = new Database(path, { create: true });
  db.run("PRAGMA busy_timeout = 5000");
  db.run("PRAGMA journal_mode = WAL");
  db.run("PRAGMA synchronous = NORMAL");
  db.exec(SCHEMA);
  return db;
}

/** Inserts `jobs` waiting jobs, `batch` per transaction; returns the wall ms. */
export function insertFloor(db: Database, jobs: number, batch = 1_000): number {
  const insert = db.prepare("INSERT INTO jobs (queue, priority, state, payload) VALUES ('bench', 0, 'waiting', ?)");
  const many = db.transaction((from: number, n: number) => {
    for (let i = from; i < from + n; i++) insert.run(JSON.stringify({ i }));
  });
  const t0 = performance.now();
  for (let i = 0; i < jobs; i += batch) many(i, Math.min(batch, jobs - i));
  return performance.now() - t0;
}

/** Claims, runs and completes every waiting job; returns how many completed. */
export async function drainFloor(db: Database, concurrency: number, handler: (data: unknown) => Promise<unknown>): Promise<number> {
  const worker = `floor-${process.pid}`;
  const claim = db.prepare(
    `UPDATE jobs SET state = 'active', lease_worker = ?1, lease_until = ?2, attempts = attempts + 1
     WHERE id IN (SELECT id FROM jobs WHERE state = 'waiting' AND queue = 'bench' ORDER BY priority, id LIMIT ?3)
     RETURNING id, payload`,
  );
  const complete = db.prepare(
    "UPDATE jobs SET state = 'completed', result = ?1, finished_at = ?2, lease_worker = NULL, lease_until = NULL WHERE id = ?3 AND lease_worker = ?4 AND state = 'active'",
  );
  const claimBatch = db.transaction((leaseUntil: number, max: number) => claim.all(worker, leaseUntil, max) as { id: number; payload: string }[]);
  const completeBatch = db.transaction((done: { id: number; result: string }[], now: number) => {
    for (const d of done) complete.run(d.result, now, d.id, worker);
  });
  let total = 0;
  // The running batch's deadline; one sweep timer marks it overdue (a real runner aborts its jobs).
  let deadline = Number.POSITIVE_INFINITY;
  let timedOut = 0;
  const sweep = setInterval(() => {
    if (performance.now() >= deadline) timedOut++;
  }, 1_000);
  try {
    for (;;) {
      const got = claimBatch.immediate(Date.now() + 30_000, concurrency);
      if (got.length === 0) return total;
      deadline = performance.now() + 300_000;
      const results = await Promise.all(got.map(async (j) => ({ id: j.id, result: JSON.stringify((await handler(JSON.parse(j.payload))) ?? null) })));
      deadline = Number.POSITIVE_INFINITY;
      completeBatch.immediate(results, Date.now());
      total += results.length;
    }
  } finally {
    clearInterval(sweep);
    if (timedOut) console.error(`${timedOut} batch(es) ran past their timeout`);
  }
}

export function completedCount(db: Database): number {
  return (db.query("SELECT count(*) AS n FROM jobs WHERE state = 'completed'").get() as { n: number }).n;
}

if (import.meta.main) {
  const [command, path, arg] = Bun.argv.slice(2);
  if (!path) throw new Error("usage: sqlite-floor.ts seed|drain|insert <db> [n]");
  const db = openFloor(path);
  if (command === "seed") insertFloor(db, Number(arg));
  else if (command === "insert") {
    const n = Number(arg);
    const ms = insertFloor(db, n, Number(Bun.argv[5] ?? 1_000));
    console.log(JSON.stringify({ jobs: n, ms }));
  } else if (command === "drain") {
    const n = await drainFloor(db, Number(arg ?? 50), async () => {});
    console.log(JSON.stringify({ completed: n }));
  } else throw new Error(`unknown command "${command}"`);
  db.close();
}
