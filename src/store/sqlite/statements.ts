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
import type { JobState } from "../../core/types.ts";
import type { Tally } from "../tally.ts";
import type { FlowLimit } from "../../core/flow.ts";
import { limitsOf } from "./flow.ts";
import { PARKED_PRIORITY, toJson, type ClaimedRow, type JobRow } from "./rows.ts";

export { PARKED_PRIORITY };

interface QueueRow {
  queue: string;
}

/** A job leaving `active`: its queue for the counts, its flow for the slots it gives back. */
export interface LeftRow {
  queue: string;
  flow: string | null;
}

export interface FlowKeyRow {
  key: string;
  active: number;
  next_at: number;
  max: number | null;
  parked: number;
  wake_at: number | null;
}

export interface StalledRow {
  id: string;
  queue: string;
  flow: string | null;
  stalls: number;
  attempts_made: number;
}

export type CountsRow = { queue: string } & Record<JobState, number>;

const HELD = "id = ? AND state = 'active' AND lease_worker = ? AND lease_token = ?";
/**
 * What a claim returns: what a waiting job can have (rows.ts, toReserved).
 * The rest is known (state, lease, start) or always empty for a job that was
 * waiting (result, finish time), or never read by a worker (logs).
 */
const CLAIMED = "id, name, queue, priority, seq, data, attempts_made, max_attempts, stalls, run_at, created_at, lease_token, progress, errors, unique_key, flow";
const LIVE = "state IN ('waiting', 'delayed', 'active')";

/** The statements on hot paths, exported so a test can check their query plans use the partial indexes. */
export const HOT_SQL = {
  /** now, workerId, leaseUntil, queue, limit. */
  claim: `UPDATE jobs SET state = 'active', started_at = ?, lease_worker = ?, lease_token = lease_token + 1, lease_until = ?
     WHERE rowid IN (SELECT rowid FROM jobs WHERE state = 'waiting' AND queue = ? AND priority < ${PARKED_PRIORITY} ORDER BY priority, seq LIMIT ?)
     RETURNING ${CLAIMED}`,
  /** As claim, for a worker that has only some jobs loaded: now, workerId, leaseUntil, queue, JSON array of names, limit. */
  claimNamed: `UPDATE jobs SET state = 'active', started_at = ?, lease_worker = ?, lease_token = lease_token + 1, lease_until = ?
     WHERE rowid IN (SELECT rowid FROM jobs WHERE state = 'waiting' AND queue = ? AND priority < ${PARKED_PRIORITY} AND name IN (SELECT value FROM json_each(?))
                     ORDER BY priority, seq LIMIT ?)
     RETURNING ${CLAIMED}`,
  earliestDue: "SELECT min(run_at) AS at FROM jobs WHERE state = 'delayed'",
  /** ?1 seq base, ?2 now, ?3 limit (-1: all). Due jobs join the back of their queue in due order. */
  promote: `UPDATE jobs SET state = 'waiting', seq = ?1 + d.rn
     FROM (SELECT rowid AS rid, row_number() OVER (ORDER BY run_at, seq) AS rn
           FROM jobs WHERE state = 'delayed' AND run_at <= ?2 ORDER BY run_at, seq LIMIT ?3) AS d
     WHERE jobs.rowid = d.rid
     RETURNING queue`,
  hasWaiting: `SELECT EXISTS (SELECT 1 FROM jobs WHERE state = 'waiting' AND queue = ? AND priority < ${PARKED_PRIORITY}) AS x`,
  hasDue: "SELECT EXISTS (SELECT 1 FROM jobs WHERE state = 'delayed' AND run_at <= ?) AS x",
  expired: "SELECT id, queue, flow, stalls, attempts_made FROM jobs WHERE state = 'active' AND lease_until < ? ORDER BY lease_until LIMIT ?",
  /**
   * Active jobs of workers whose heartbeat record lapsed: now (lease still live), now (record expired), limit.
   * Walks the active jobs (jobs_active): they are bounded by the fleet's total concurrency.
   */
  deadWorkersActive: `SELECT id, queue, flow, stalls, attempts_made FROM jobs
     WHERE state = 'active' AND lease_until >= ? AND lease_worker IN (SELECT id FROM workers WHERE expires_at <= ?) LIMIT ?`,
  uniqueHolder: `SELECT id FROM jobs WHERE name = ? AND unique_key = ? AND unique_until > ? AND ${LIVE} LIMIT 1`,
  /** result, now, id, workerId, token, queue: the queue as the claim saw it (a stale one matches nothing). */
  complete: `UPDATE jobs SET state = 'completed', attempts_made = attempts_made + 1, result = ?, finished_at = ?, unique_until = NULL WHERE ${HELD} AND queue = ?`,
  completeReturning: `UPDATE jobs SET state = 'completed', attempts_made = attempts_made + 1, result = ?, finished_at = ?, unique_until = NULL WHERE ${HELD}
     RETURNING queue, flow`,
  /** Jobs per queue and state, in the order queues first had a job: a few rows, never a scan of jobs. */
  counts: "SELECT queue, waiting, delayed, active, completed, failed, cancelled FROM queue_counts ORDER BY rowid",
  /** Retention by count: the oldest finished jobs of one queue and state (of two finished in the same ms, the older row). queue, state, limit. */
  trimOldest: `DELETE FROM jobs WHERE rowid IN (
     SELECT rowid FROM jobs WHERE queue = ?1 AND state = ?2 AND finished_at IS NOT NULL ORDER BY finished_at, rowid LIMIT ?3)`,
  /** Retention by age: queue, state, finished before, limit. */
  trimBefore: `DELETE FROM jobs WHERE rowid IN (
     SELECT rowid FROM jobs WHERE queue = ?1 AND state = ?2 AND finished_at IS NOT NULL AND finished_at < ?3 LIMIT ?4)`,
};

/**
 * Pages one compaction transaction frees (8 MB). All at once, a million
 * trimmed jobs made one transaction that wrote ~190 MB to the WAL before it
 * could be checkpointed; in steps the WAL stays near its 4 MB limit.
 */
export const VACUUM_PAGES = 2_000;

/** retryFailed's pick: the jobs_finished index serves it (only ties on finished_at are sorted), no scan of the other states. */
export const OLDEST_FAILED_SQL =
  "SELECT id, name, unique_key FROM jobs WHERE queue = ? AND state = 'failed' AND finished_at IS NOT NULL ORDER BY finished_at, length(id), id LIMIT ?";

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
      `INSERT INTO jobs (id, name, queue, state, priority, seq, data, max_attempts, run_at, created_at, unique_key, unique_until, flow)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    ),
    jobExists: q<{ x: number }>("SELECT 1 AS x FROM jobs WHERE id = ?"),
    uniqueHolder: q<{ id: string }>(HOT_SQL.uniqueHolder),
    getCounter: q<{ value: number }>("SELECT value FROM counters WHERE name = ?"),
    setCounter: q("UPDATE counters SET value = ? WHERE name = ?"),

    // ---- consuming ------------------------------------------------------
    earliestDue: q<{ at: number | null }>(HOT_SQL.earliestDue),
    promote: q<QueueRow>(HOT_SQL.promote),
    pausedQueues: q<{ queue: string }>("SELECT queue FROM paused_queues"),
    claim: q<ClaimedRow>(HOT_SQL.claim),
    claimNamed: q<ClaimedRow>(HOT_SQL.claimNamed),
    extend: q(`UPDATE jobs SET lease_until = ? WHERE ${HELD}`),
    // The moves below return the job's queue, for the counts (tally.ts); no row: the lease was not held.
    // RETURNING costs ~3 µs per row; a completion whose queue the store remembers from the claim (completeIn) needs none.
    complete: q(HOT_SQL.complete),
    completeReturning: q<LeftRow>(HOT_SQL.completeReturning),
    failRetry: q<LeftRow>(
      `UPDATE jobs SET state = 'delayed', attempts_made = attempts_made + 1, errors = json_insert(errors, '$[#]', json(?)),
         run_at = ?, lease_until = 0 WHERE ${HELD} RETURNING queue, flow`,
    ),
    failFinal: q<LeftRow>(
      `UPDATE jobs SET state = 'failed', attempts_made = attempts_made + 1, errors = json_insert(errors, '$[#]', json(?)),
         finished_at = ?, unique_until = NULL WHERE ${HELD} RETURNING queue, flow`,
    ),
    cancelHeld: q<LeftRow>(`UPDATE jobs SET state = 'cancelled', finished_at = ?, unique_until = NULL WHERE ${HELD} RETURNING queue, flow`),
    release: q<LeftRow>(`UPDATE jobs SET state = 'waiting', lease_until = 0 WHERE ${HELD} RETURNING queue, flow`),
    progress: q("UPDATE jobs SET progress = ? WHERE id = ? AND state = 'active' AND lease_token = ?"),
    heldLogs: q<{ logs: string | null }>("SELECT logs FROM jobs WHERE id = ? AND state = 'active' AND lease_token = ?"),
    setLogs: q("UPDATE jobs SET logs = ? WHERE id = ?"),
    hasWaiting: q<{ x: number }>(HOT_SQL.hasWaiting),
    hasDue: q<{ x: number }>(HOT_SQL.hasDue),
    /** Changes when another connection commits; our own commits leave it alone. */
    dataVersion: q<{ data_version: number }>("PRAGMA data_version"),

    // ---- maintenance ----------------------------------------------------
    expired: q<StalledRow>(HOT_SQL.expired),
    deadWorkersActive: q<StalledRow>(HOT_SQL.deadWorkersActive),
    rescueToWaiting: q("UPDATE jobs SET state = 'waiting', stalls = stalls + 1 WHERE id = ?"),
    rescueToFailed: q(
      `UPDATE jobs SET state = 'failed', stalls = stalls + 1, attempts_made = attempts_made + 1, finished_at = ?,
         errors = json_insert(errors, '$[#]', json(?)), unique_until = NULL WHERE id = ?`,
    ),
    trimOldest: q(HOT_SQL.trimOldest),
    trimBefore: q(HOT_SQL.trimBefore),

    /** Hands VACUUM_PAGES pages of the freelist back to the file system (auto_vacuum = INCREMENTAL, set when the file was made). */
    incrementalVacuum: q(`PRAGMA incremental_vacuum(${VACUUM_PAGES})`),
    freePages: q<{ freelist_count: number }>("PRAGMA freelist_count"),

    // ---- inspecting and managing ----------------------------------------
    getJob: q<JobRow>("SELECT * FROM jobs WHERE id = ?"),
    /** Kept by every write (tally.ts). */
    counts: q<CountsRow>(HOT_SQL.counts),
    /** queue, then the change of each state's count (JOB_STATES order). */
    countsAdd: q(
      `INSERT INTO queue_counts (queue, waiting, delayed, active, completed, failed, cancelled) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (queue) DO UPDATE SET waiting = waiting + excluded.waiting, delayed = delayed + excluded.delayed,
         active = active + excluded.active, completed = completed + excluded.completed,
         failed = failed + excluded.failed, cancelled = cancelled + excluded.cancelled`,
    ),
    retry: q<JobRow>(
      `UPDATE jobs SET state = 'waiting', attempts_made = 0, stalls = 0, run_at = ?, seq = ?, unique_until = ?,
         finished_at = NULL, result = NULL, progress = NULL, logs = NULL, priority = priority % ${PARKED_PRIORITY}, parked_on = NULL WHERE id = ? RETURNING *`,
    ),
    oldestFailed: q<{ id: string; name: string; unique_key: string | null }>(OLDEST_FAILED_SQL),
    cancel: q<JobRow>(
      `UPDATE jobs SET state = 'cancelled', finished_at = ?, unique_until = NULL, priority = priority % ${PARKED_PRIORITY}, parked_on = NULL
       WHERE id = ? AND ${LIVE} RETURNING *`,
    ),
    remove: q<{ queue: string; state: JobState }>("DELETE FROM jobs WHERE id = ? AND state <> 'active' RETURNING queue, state"),
    pause: q("INSERT INTO paused_queues (queue) VALUES (?) ON CONFLICT DO NOTHING"),
    resume: q("DELETE FROM paused_queues WHERE queue = ?"),

    // ---- flow control (flow.ts) -----------------------------------------
    /** A claimed job over a limit goes back untouched (its token too), parked on `key`: key, id. A job that never ran loses the lease fields the claim set. */
    /** Before `park`: the job's place in its key's line (key, id). */
    parkPlace: q("INSERT OR IGNORE INTO flow_parked (key, priority, seq, job) SELECT ?1, priority, seq, rowid FROM jobs WHERE id = ?2"),
    park: q(
      `UPDATE jobs SET state = 'waiting', lease_token = lease_token - 1, priority = priority + ${PARKED_PRIORITY}, parked_on = ?,
         lease_worker = CASE WHEN attempts_made = 0 AND stalls = 0 THEN NULL ELSE lease_worker END,
         lease_until = CASE WHEN attempts_made = 0 AND stalls = 0 THEN NULL ELSE 0 END,
         started_at = CASE WHEN attempts_made = 0 AND stalls = 0 THEN NULL ELSE started_at END
       WHERE id = ?`,
    ),
    /** The first job parked on a key goes back to its place in line. */
    /** The first job in a key's line of parked jobs, taken out of it: key. */
    parkedFirst: q<{ job: number }>(
      `DELETE FROM flow_parked WHERE (key, priority, seq, job) IN (SELECT key, priority, seq, job FROM flow_parked WHERE key = ?1 ORDER BY priority, seq, job LIMIT 1)
       RETURNING job`,
    ),
    /** That job back to its place in line, if it is still parked on the key (not cancelled, removed or retried since): job rowid, key. */
    unpark: q<{ id: string }>(
      `UPDATE jobs SET priority = priority - ${PARKED_PRIORITY}, parked_on = NULL WHERE rowid = ?1 AND state = 'waiting' AND parked_on = ?2 RETURNING id`,
    ),
    /** A parked job leaves some other way (cancel, remove): out of its key's line, and its key's count. key, id. */
    unparkGone: q("DELETE FROM flow_parked WHERE key = ?1 AND job = (SELECT rowid FROM jobs WHERE id = ?2)"),
    parkedDown: q("UPDATE flow_keys SET parked = max(0, parked - 1) WHERE key = ?"),
    flowKey: q<FlowKeyRow>("SELECT key, active, next_at, max, parked, wake_at FROM flow_keys WHERE key = ?"),
    flowKeyPut: q(
      `INSERT INTO flow_keys (key, active, next_at, max, parked, wake_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET active = excluded.active, next_at = excluded.next_at, max = excluded.max, parked = excluded.parked, wake_at = excluded.wake_at`,
    ),
    flowKeyDelete: q("DELETE FROM flow_keys WHERE key = ?"),
    /** The states of many keys at once: a JSON array of keys. */
    flowKeysIn: q<FlowKeyRow>("SELECT key, active, next_at, max, parked, wake_at FROM flow_keys WHERE key IN (SELECT value FROM json_each(?))"),
    /** Keys that hold nothing any more (a rate key after its spacing passed), a bounded batch per call: now, limit. */
    flowSweep: q(
      `DELETE FROM flow_keys WHERE key IN (
         SELECT key FROM flow_keys WHERE active = 0 AND parked = 0 AND next_at <= ?1 AND (wake_at IS NULL OR wake_at <= ?1) LIMIT ?2)`,
    ),
    flowDue: q<{ key: string }>("SELECT key FROM flow_keys WHERE wake_at IS NOT NULL AND wake_at <= ? ORDER BY wake_at LIMIT 1000"),
    flowNextWake: q<{ at: number | null }>("SELECT min(wake_at) AS at FROM flow_keys WHERE wake_at IS NOT NULL"),
    groupLast: q<{ last: number }>("SELECT last FROM flow_groups WHERE k = ?"),
    groupPut: q("INSERT INTO flow_groups (k, last) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET last = excluded.last"),
    /** The front of one priority level of a queue's line. */
    lineHead: q<{ seq: number }>(`SELECT seq FROM jobs WHERE state = 'waiting' AND queue = ? AND priority = ? ORDER BY seq LIMIT 1`),
    throttledAdd: q("INSERT INTO flow_throttled (k, n) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET n = n + excluded.n"),
    throttledAll: q<{ k: string; n: number }>("SELECT k, n FROM flow_throttled ORDER BY k LIMIT 10000"),
    limitedKeys: q<FlowKeyRow>("SELECT key, active, next_at, max, parked, wake_at FROM flow_keys WHERE parked > 0 ORDER BY parked DESC, key LIMIT ?"),
    firstParked: q<{ run_at: number }>(
      "SELECT j.run_at FROM flow_parked p JOIN jobs j ON j.rowid = p.job WHERE p.key = ? ORDER BY p.priority, p.seq, p.job LIMIT 1",
    ),
    /**
     * What a claim reads first, in the statements it ran before flow control
     * (each extra statement per claim cost ~3%): the earliest delayed job with
     * the earliest flow-key wake, and the paused queues with those held by
     * ctx.rateLimited (?1 now).
     */
    dueAndWake: q<{ at: number | null; wake: number | null }>(
      `SELECT (SELECT min(run_at) FROM jobs WHERE state = 'delayed') AS at, (SELECT min(wake_at) FROM flow_keys WHERE wake_at IS NOT NULL) AS wake`,
    ),
    pausedOrHeld: q<{ queue: string }>("SELECT queue FROM paused_queues UNION ALL SELECT queue FROM queue_holds WHERE until > ?1"),
    heldQueues: q<{ queue: string }>("SELECT queue FROM queue_holds WHERE until > ?"),
    holdUntil: q<{ at: number | null }>("SELECT min(until) AS at FROM queue_holds WHERE until > ?"),
    hold: q("INSERT INTO queue_holds (queue, until) VALUES (?, ?) ON CONFLICT (queue) DO UPDATE SET until = max(until, excluded.until)"),
    holdsPrune: q("DELETE FROM queue_holds WHERE until <= ?"),

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

/**
 * Completions of jobs `workerId` still holds; others are ignored. Call
 * inside a write transaction. `claimed` holds the queue of jobs this store
 * claimed (a job's queue never changes), so their completion needs no
 * RETURNING to be counted; it forgets the ones it completes.
 */
export function completeIn(
  st: Statements,
  tally: Tally,
  claimed: Map<string, string>,
  workerId: string,
  jobs: { id: string; token: number; result?: unknown }[],
  now: number,
  /** A completed job with flow limits (known from the claim, or read back) gives its slots back. */
  freed?: (id: string, limits: FlowLimit[] | undefined) => void,
  claimedFlow?: Map<string, FlowLimit[]>,
): void {
  for (const ref of jobs) {
    const result = toJson(ref.result);
    const queue = claimed.get(ref.id);
    if (queue !== undefined) {
      claimed.delete(ref.id);
      if (st.complete.run(result, now, ref.id, workerId, ref.token, queue).changes > 0) {
        tally.move(queue, "active", "completed");
        if (claimedFlow?.has(ref.id)) {
          freed?.(ref.id, undefined);
          claimedFlow.delete(ref.id);
        }
        continue;
      }
    }
    // Not claimed here, or not held (then this changes nothing either).
    const row = st.completeReturning.get(result, now, ref.id, workerId, ref.token);
    claimedFlow?.delete(ref.id);
    if (row) {
      tally.move(row.queue, "active", "completed");
      if (row.flow !== null) freed?.(ref.id, limitsOf(row.flow));
    }
  }
}

/** Due delayed jobs join the back of their queues, in due order. Call inside a write transaction. */
export function promoteDueIn(st: Statements, tally: Tally, now: number, limit: number, earliest?: number | null): number {
  const due = earliest === undefined ? st.earliestDue.get()?.at : earliest;
  if (due === null || due === undefined || due > now || limit === 0) return 0;
  const base = st.getCounter.get("seq")!.value;
  const moved = st.promote.all(base, now, limit);
  for (const row of moved) tally.move(row.queue, "delayed", "waiting");
  st.setCounter.run(base + moved.length, "seq");
  return moved.length;
}

/** Adds what a write transaction moved to queue_counts; call last, inside it. */
export function addCounts(st: Statements, tally: Tally): void {
  for (const [queue, n] of tally.entries()) {
    if (n.some((x) => x !== 0)) st.countsAdd.run(queue, n[0], n[1], n[2], n[3], n[4], n[5]);
  }
  tally.clear();
}

export function pausedSet(st: Statements): Set<string> {
  return new Set(st.pausedQueues.all().map((r) => r.queue));
}

export function mustGet(st: Statements, id: string): JobRow {
  const row = st.getJob.get(id);
  if (!row) throw new NotFoundError(`no job with id "${id}"`);
  return row;
}
