/**
 * Every query the SQLite store runs on its tables, prepared once per
 * connection, plus the few steps built from several of them (at the end).
 * Keeping the SQL here (pragmas and DDL live in schema.ts) lets the store
 * read as queue logic, and makes it easy to check that each hot statement
 * hits a partial index: the literal `state = '...'` terms must stay literals
 * for SQLite to pick the `WHERE state = ...` indexes of schema.ts.
 *
 * "Held" below means: still active under this worker's reservation token,
 * so a late call from a worker that lost its lease changes nothing.
 */

import type { Database, SQLQueryBindings, Statement } from "bun:sqlite";
import { NotFoundError } from "../../core/errors.ts";
import { toJson, type JobRow } from "./rows.ts";

const HELD = "id = ? AND state = 'active' AND lease_worker = ? AND lease_token = ?";
const LIVE = "state IN ('waiting', 'delayed', 'active')";

/** The statements on hot paths, exported so a test can check their query plans use the partial indexes. */
export const HOT_SQL = {
  /** now, workerId, leaseUntil, queue, limit. */
  claim: `UPDATE jobs SET state = 'active', started_at = ?, lease_worker = ?, lease_token = lease_token + 1, lease_until = ?
     WHERE rowid IN (SELECT rowid FROM jobs WHERE state = 'waiting' AND queue = ? ORDER BY priority, seq LIMIT ?)
     RETURNING *`,
  /** As claim, for a worker that has only some jobs loaded: now, workerId, leaseUntil, queue, JSON array of names, limit. */
  claimNamed: `UPDATE jobs SET state = 'active', started_at = ?, lease_worker = ?, lease_token = lease_token + 1, lease_until = ?
     WHERE rowid IN (SELECT rowid FROM jobs WHERE state = 'waiting' AND queue = ? AND name IN (SELECT value FROM json_each(?))
                     ORDER BY priority, seq LIMIT ?)
     RETURNING *`,
  earliestDue: "SELECT min(run_at) AS at FROM jobs WHERE state = 'delayed'",
  /** ?1 seq base, ?2 now, ?3 limit (-1: all). Due jobs join the back of their queue in due order. */
  promote: `UPDATE jobs SET state = 'waiting', seq = ?1 + d.rn
     FROM (SELECT rowid AS rid, row_number() OVER (ORDER BY run_at, seq) AS rn
           FROM jobs WHERE state = 'delayed' AND run_at <= ?2 ORDER BY run_at, seq LIMIT ?3) AS d
     WHERE jobs.rowid = d.rid`,
  hasWaiting: "SELECT EXISTS (SELECT 1 FROM jobs WHERE state = 'waiting' AND queue = ?) AS x",
  hasDue: "SELECT EXISTS (SELECT 1 FROM jobs WHERE state = 'delayed' AND run_at <= ?) AS x",
  expired: "SELECT id, stalls, attempts_made FROM jobs WHERE state = 'active' AND lease_until < ? ORDER BY lease_until LIMIT ?",
  /** Active jobs of workers whose heartbeat record lapsed: now (lease still live), now (record expired), limit. */
  deadWorkersActive: `SELECT id, stalls, attempts_made FROM jobs
     WHERE state = 'active' AND lease_until >= ? AND lease_worker IN (SELECT id FROM workers WHERE expires_at <= ?) LIMIT ?`,
  uniqueHolder: `SELECT id FROM jobs WHERE name = ? AND unique_key = ? AND unique_until > ? AND ${LIVE} LIMIT 1`,
  complete: `UPDATE jobs SET state = 'completed', attempts_made = attempts_made + 1, result = ?, finished_at = ?, unique_until = NULL WHERE ${HELD}`,
};

export function prepareStatements(db: Database) {
  const q = <R = unknown>(sql: string) => db.prepare<R, SQLQueryBindings[]>(sql);
  return {
    // One writer transaction per call; IMMEDIATE takes the write lock up front
    // so two processes never both read "waiting" and then both claim.
    begin: q("BEGIN IMMEDIATE"),
    commit: q("COMMIT"),
    rollback: q("ROLLBACK"),

    // ---- producing ------------------------------------------------------
    insertJob: q(
      `INSERT INTO jobs (id, name, queue, state, priority, seq, data, max_attempts, run_at, created_at, unique_key, unique_until)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    ),
    jobExists: q<{ x: number }>("SELECT 1 AS x FROM jobs WHERE id = ?"),
    uniqueHolder: q<{ id: string }>(HOT_SQL.uniqueHolder),
    getCounter: q<{ value: number }>("SELECT value FROM counters WHERE name = ?"),
    setCounter: q("UPDATE counters SET value = ? WHERE name = ?"),

    // ---- consuming ------------------------------------------------------
    earliestDue: q<{ at: number | null }>(HOT_SQL.earliestDue),
    promote: q(HOT_SQL.promote),
    pausedQueues: q<{ queue: string }>("SELECT queue FROM paused_queues"),
    claim: q<JobRow>(HOT_SQL.claim),
    claimNamed: q<JobRow>(HOT_SQL.claimNamed),
    extend: q(`UPDATE jobs SET lease_until = ? WHERE ${HELD}`),
    complete: q(HOT_SQL.complete),
    failRetry: q(
      `UPDATE jobs SET state = 'delayed', attempts_made = attempts_made + 1, errors = json_insert(errors, '$[#]', json(?)),
         run_at = ?, lease_until = 0 WHERE ${HELD}`,
    ),
    failFinal: q(
      `UPDATE jobs SET state = 'failed', attempts_made = attempts_made + 1, errors = json_insert(errors, '$[#]', json(?)),
         finished_at = ?, unique_until = NULL WHERE ${HELD}`,
    ),
    cancelHeld: q(`UPDATE jobs SET state = 'cancelled', finished_at = ?, unique_until = NULL WHERE ${HELD}`),
    release: q(`UPDATE jobs SET state = 'waiting', lease_until = 0 WHERE ${HELD}`),
    progress: q("UPDATE jobs SET progress = ? WHERE id = ? AND state = 'active' AND lease_token = ?"),
    heldLogs: q<{ logs: string | null }>("SELECT logs FROM jobs WHERE id = ? AND state = 'active' AND lease_token = ?"),
    setLogs: q("UPDATE jobs SET logs = ? WHERE id = ?"),
    hasWaiting: q<{ x: number }>(HOT_SQL.hasWaiting),
    hasDue: q<{ x: number }>(HOT_SQL.hasDue),
    /** Changes when another connection commits; our own commits leave it alone. */
    dataVersion: q<{ data_version: number }>("PRAGMA data_version"),

    // ---- maintenance ----------------------------------------------------
    expired: q<{ id: string; stalls: number; attempts_made: number }>(HOT_SQL.expired),
    deadWorkersActive: q<{ id: string; stalls: number; attempts_made: number }>(HOT_SQL.deadWorkersActive),
    rescueToWaiting: q("UPDATE jobs SET state = 'waiting', stalls = stalls + 1 WHERE id = ?"),
    rescueToFailed: q(
      `UPDATE jobs SET state = 'failed', stalls = stalls + 1, attempts_made = attempts_made + 1, finished_at = ?,
         errors = json_insert(errors, '$[#]', json(?)), unique_until = NULL WHERE id = ?`,
    ),
    /**
     * now, completed max count, completed max age, failed max count, failed max age, batch.
     * Cancelled jobs use the failed limits, ranked apart from failed ones. Ties on finished_at keep the older row.
     * At most `batch` rows per call, so one call is one short write transaction.
     */
    trim: q(
      `DELETE FROM jobs WHERE rowid IN (
         SELECT rid FROM (
           SELECT rowid AS rid, state, finished_at,
                  row_number() OVER (PARTITION BY queue, state ORDER BY finished_at DESC, rowid) AS rn
           FROM jobs WHERE state IN ('completed', 'failed', 'cancelled'))
         WHERE (state = 'completed'              AND (rn > ?2 OR ?1 - finished_at > ?3))
            OR (state IN ('failed', 'cancelled') AND (rn > ?4 OR ?1 - finished_at > ?5))
         LIMIT ?6)`,
    ),

    /** Frees every page on the freelist (auto_vacuum = INCREMENTAL, set when the file was made). */
    incrementalVacuum: q("PRAGMA incremental_vacuum"),

    // ---- inspecting and managing ----------------------------------------
    getJob: q<JobRow>("SELECT * FROM jobs WHERE id = ?"),
    counts: q<{ queue: string; state: string; n: number; first: number }>(
      "SELECT queue, state, count(*) AS n, min(rowid) AS first FROM jobs GROUP BY queue, state",
    ),
    retry: q<JobRow>(
      `UPDATE jobs SET state = 'waiting', attempts_made = 0, stalls = 0, run_at = ?, seq = ?, unique_until = ?,
         finished_at = NULL, result = NULL, progress = NULL, logs = NULL WHERE id = ? RETURNING *`,
    ),
    // The jobs_finished index serves this: no scan of the other states.
    oldestFailed: q<{ id: string; name: string; unique_key: string | null }>(
      "SELECT id, name, unique_key FROM jobs WHERE queue = ? AND state = 'failed' ORDER BY finished_at, length(id), id LIMIT ?",
    ),
    cancel: q<JobRow>(`UPDATE jobs SET state = 'cancelled', finished_at = ?, unique_until = NULL WHERE id = ? AND ${LIVE} RETURNING *`),
    remove: q("DELETE FROM jobs WHERE id = ? AND state <> 'active'"),
    pause: q("INSERT INTO paused_queues (queue) VALUES (?) ON CONFLICT DO NOTHING"),
    resume: q("DELETE FROM paused_queues WHERE queue = ?"),

    // ---- fleet ----------------------------------------------------------
    leaderRow: q<{ holder: string; token: number; expires_at: number }>("SELECT holder, token, expires_at FROM leaders WHERE name = ?"),
    leaderUpsert: q(
      `INSERT INTO leaders (name, holder, token, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, token = excluded.token, expires_at = excluded.expires_at`,
    ),
    leaderRelease: q("UPDATE leaders SET expires_at = 0 WHERE name = ? AND holder = ?"),
    workerUpsert: q(
      `INSERT INTO workers (id, info, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET info = excluded.info, expires_at = excluded.expires_at`,
    ),
    workerPrune: q("DELETE FROM workers WHERE expires_at <= ?"),
    workerDelete: q("DELETE FROM workers WHERE id = ?"),
    workerList: q<{ info: string; expires_at: number }>("SELECT info, expires_at FROM workers WHERE expires_at > ? ORDER BY rowid"),

    // ---- schedules ------------------------------------------------------
    scheduleList: q<{ name: string; last_slot: number | null; last_job_id: string | null; paused: number }>(
      "SELECT name, last_slot, last_job_id, paused FROM schedules ORDER BY rowid",
    ),
    scheduleSlot: q(
      `INSERT INTO schedules (name, last_slot, last_job_id) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET last_slot = excluded.last_slot, last_job_id = excluded.last_job_id
       WHERE last_slot IS NULL OR excluded.last_slot > last_slot`,
    ),
    schedulePaused: q("INSERT INTO schedules (name, paused) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET paused = excluded.paused"),
  } satisfies Record<string, Statement<any, SQLQueryBindings[]>>;
}

export type Statements = ReturnType<typeof prepareStatements>;

/** listJobs filters vary, so its statements are built on first use and kept per filter shape. */
export class ListQueries {
  private cache = new Map<string, Statement<JobRow, SQLQueryBindings[]>>();

  constructor(private readonly db: Database) {}

  get(filters: { state: boolean; queue: boolean; name: boolean; after: boolean }): Statement<JobRow, SQLQueryBindings[]> {
    const key = `${+filters.state}${+filters.queue}${+filters.name}${+filters.after}`;
    let stmt = this.cache.get(key);
    if (!stmt) {
      const where: string[] = [];
      if (filters.state) where.push("state = ?");
      if (filters.queue) where.push("queue = ?");
      if (filters.name) where.push("name = ?");
      // Newest first, ids in shortlex order (core/ids.ts): the jobs_created index serves this order.
      if (filters.after) where.push("(created_at < ? OR (created_at = ? AND (length(id) < ? OR (length(id) = ? AND id < ?))))");
      const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC, length(id) DESC, id DESC LIMIT ?`;
      stmt = this.db.prepare<JobRow, SQLQueryBindings[]>(sql);
      this.cache.set(key, stmt);
    }
    return stmt;
  }

  finalize(): void {
    for (const stmt of this.cache.values()) stmt.finalize();
    this.cache.clear();
  }
}

// ---- steps made of several statements ---------------------------------

/** Completions of jobs `workerId` still holds; others are ignored. Call inside a write transaction. */
export function completeIn(st: Statements, workerId: string, jobs: { id: string; token: number; result?: unknown }[], now: number): void {
  for (const ref of jobs) st.complete.run(toJson(ref.result), now, ref.id, workerId, ref.token);
}

/** Due delayed jobs join the back of their queues, in due order. Call inside a write transaction. */
export function promoteDueIn(st: Statements, now: number, limit: number): number {
  const due = st.earliestDue.get()?.at;
  if (due === null || due === undefined || due > now || limit === 0) return 0;
  const base = st.getCounter.get("seq")!.value;
  const moved = st.promote.run(base, now, limit).changes;
  st.setCounter.run(base + moved, "seq");
  return moved;
}

export function pausedSet(st: Statements): Set<string> {
  return new Set(st.pausedQueues.all().map((r) => r.queue));
}

export function mustGet(st: Statements, id: string): JobRow {
  const row = st.getJob.get(id);
  if (!row) throw new NotFoundError(`no job with id "${id}"`);
  return row;
}
