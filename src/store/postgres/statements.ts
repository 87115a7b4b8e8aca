/**
 * Every statement the PostgreSQL store sends, built once per schema name.
 * Multi-step operations call the functions of functions.ts; the rest are
 * single statements (each its own transaction). Keeping the SQL here lets
 * the store read as queue logic, and shows which partial index each hot
 * statement uses: the literal `state = '…'` terms must stay literals for
 * the planner to pick the `WHERE state = …` indexes of schema.ts.
 *
 * Values are bound as text and cast in SQL ($n::bigint): pg sends every
 * parameter as text anyway, and the casts keep the statements valid for the
 * drivers an app may hand the transactional enqueue (tx-enqueue.ts).
 *
 * The retention deletes count their own moves in count_deltas
 * (count-sql.ts, counters.ts); the jobs triggers count the other moves.
 *
 * "Held" below means: still active under this worker's reservation token,
 * so a late call from a worker that lost its lease changes nothing.
 */

import { JOB_COLUMNS } from "./rows.ts";
import { COUNTED_HERE, countRows } from "./count-sql.ts";
import type { SchemaNames } from "./names.ts";

export function statements(s: SchemaNames) {
  const S = s.q;
  const J = `${S}.jobs`;
  const wake = `'${s.channel}'`;
  const LIVE = "state IN ('waiting', 'delayed', 'active')";
  return {
    // ---- producing ------------------------------------------------------
    /** jobs JSON, now. The same call the client makes inside an app's transaction. */
    enqueue: enqueueSql(s),

    // ---- consuming ------------------------------------------------------
    /** queues, worker, max, lease until, now, names, promote limit, completed ids, their tokens, their results (JSON text), async commit. */
    reserve: `SELECT * FROM ${S}.reserve($1::text[], $2, $3::integer, $4::bigint, $5::bigint, $6::text[], $7::integer, $8::text[], $9::bigint[], $10::text[], $11::boolean)`,
    /** worker, now, ids, tokens, results (JSON text or NULL), async commit. A function: its plan is cached (counters.ts). */
    complete: `SELECT ${S}.complete_jobs($1, $2::bigint, $3::text[], $4::bigint[], $5::text[], $6::boolean)`,
    /** worker, lease until, ids, tokens → the ids still held. */
    extend: `UPDATE ${J} t SET lease_until = $2::bigint FROM unnest($3::text[], $4::bigint[]) AS r(id, token)
      WHERE t.id = r.id AND t.state = 'active' AND t.lease_worker = $1 AND t.lease_token = r.token RETURNING t.id`,
    /** id, worker, token, error JSON, retry at. The job waits as delayed; its queue's workers are woken to time the retry. */
    failRetry: `WITH u AS (
        UPDATE ${J} SET state = 'delayed', attempts_made = attempts_made + 1, errors = ${S}._json_push(errors, $4::text::json),
               run_at = $5::bigint, lease_until = 0
         WHERE id = $1 AND state = 'active' AND lease_worker = $2 AND lease_token = $3::bigint RETURNING queue)
      SELECT pg_notify(${wake}, queue) FROM u`,
    /** id, worker, token, error JSON, now. */
    failFinal: `UPDATE ${J} SET state = 'failed', attempts_made = attempts_made + 1, errors = ${S}._json_push(errors, $4::text::json),
         finished_at = $5::bigint, unique_until = NULL
       WHERE id = $1 AND state = 'active' AND lease_worker = $2 AND lease_token = $3::bigint`,
    /** id, worker, token, now. */
    cancelHeld: `UPDATE ${J} SET state = 'cancelled', finished_at = $4::bigint, unique_until = NULL
       WHERE id = $1 AND state = 'active' AND lease_worker = $2 AND lease_token = $3::bigint`,
    /** worker, ids, tokens. */
    release: `WITH u AS (
        UPDATE ${J} t SET state = 'waiting', lease_until = 0 FROM unnest($2::text[], $3::bigint[]) AS r(id, token)
         WHERE t.id = r.id AND t.state = 'active' AND t.lease_worker = $1 AND t.lease_token = r.token RETURNING t.queue)
      SELECT pg_notify(${wake}, q.queue) FROM (SELECT DISTINCT u.queue FROM u) q`,
    /**
     * workerId, ids, tokens, runAt: ctx.rateLimited's put-back. With no flow keys
     * to pause here, the job itself waits out the pause as a delayed job (no attempt spent).
     */
    releaseDelayed: `UPDATE ${J} t SET state = 'delayed', run_at = $4::bigint, lease_until = 0 FROM unnest($2::text[], $3::bigint[]) AS r(id, token)
       WHERE t.id = r.id AND t.state = 'active' AND t.lease_worker = $1 AND t.lease_token = r.token`,
    /** id, token, progress JSON. */
    progress: `UPDATE ${J} SET progress = $3::text::json WHERE id = $1 AND state = 'active' AND lease_token = $2::bigint`,
    /** id, token, lines JSON, keep: keeps the last `keep` lines. */
    appendLogs: `UPDATE ${J} SET logs = ${S}._keep_last(logs, $3::text::json, $4::int)
       WHERE id = $1 AND state = 'active' AND lease_token = $2::bigint`,
    /** queues, now → whether a waiter should look now, and when the next delayed job is due. */
    waitCheck: `SELECT
        EXISTS (SELECT 1 FROM ${J} WHERE state = 'delayed' AND run_at <= $2::bigint)
        OR EXISTS (SELECT 1 FROM unnest($1::text[]) AS q(name)
                    WHERE NOT EXISTS (SELECT 1 FROM ${S}.paused_queues p WHERE p.queue = q.name)
                      AND EXISTS (SELECT 1 FROM ${J} t WHERE t.state = 'waiting' AND t.queue = q.name)) AS ready,
        (SELECT min(run_at) FROM ${J} WHERE state = 'delayed') AS next_due`,

    // ---- maintenance ----------------------------------------------------
    /** now, limit. */
    promote: `SELECT ${S}.promote_due($1::bigint, $2::integer) AS moved`,
    nextDue: `SELECT min(run_at) AS at FROM ${J} WHERE state = 'delayed'`,
    /** now, max stalls, limit, message, keep dead workers ms. */
    rescue: `SELECT id, failed FROM ${S}.rescue_expired($1::bigint, $2::integer, $3::integer, $4, $5::bigint)`,
    /** Queues with finished jobs: a skip scan over jobs_finished, one probe per queue. */
    finishedQueues: `WITH RECURSIVE q AS (
        (SELECT queue FROM ${J} WHERE state IN ('completed', 'failed', 'cancelled') ORDER BY queue LIMIT 1)
        UNION ALL
        SELECT (SELECT t.queue FROM ${J} t WHERE t.state IN ('completed', 'failed', 'cancelled') AND t.queue > q.queue ORDER BY t.queue LIMIT 1)
          FROM q WHERE q.queue IS NOT NULL)
      SELECT queue FROM q WHERE queue IS NOT NULL`,
    /** queue, state, finished before, batch. */
    trimByAge: `WITH gone AS (DELETE FROM ${J} USING ${COUNTED_HERE} WHERE id IN (
        SELECT id FROM ${J} WHERE queue = $1 AND state = $2 AND state IN ('completed', 'failed', 'cancelled') AND finished_at < $3::bigint LIMIT $4::integer)
        RETURNING queue, state), counted AS (${countRows(S, "gone", -1)})
      SELECT count(*)::integer AS n FROM gone`,
    /** queue, state, keep: the newest job past the count (ties keep the older id). */
    trimCutoff: `SELECT finished_at, id FROM ${J} WHERE queue = $1 AND state = $2 AND state IN ('completed', 'failed', 'cancelled')
       ORDER BY finished_at DESC, length(id), id OFFSET $3::integer LIMIT 1`,
    /** queue, state, cutoff finished_at, cutoff id, batch: the cutoff job and every job ranked after it. */
    trimByCount: `WITH gone AS (DELETE FROM ${J} USING ${COUNTED_HERE} WHERE id IN (
        SELECT id FROM ${J} WHERE queue = $1 AND state = $2 AND state IN ('completed', 'failed', 'cancelled')
           AND (finished_at < $3::bigint OR (finished_at = $3::bigint AND (length(id) > length($4::text) OR (length(id) = length($4::text) AND id >= $4::text))))
         LIMIT $5::integer)
        RETURNING queue, state), counted AS (${countRows(S, "gone", -1)})
      SELECT count(*)::integer AS n FROM gone`,

    // ---- inspecting and managing ----------------------------------------
    getJob: `SELECT ${JOB_COLUMNS} FROM ${J} WHERE id = $1`,
    paused: `SELECT queue FROM ${S}.paused_queues`,
    /** queue, limit: failed jobs, oldest failure first, locked for retryFailed (SKIP LOCKED: a concurrent call takes others). */
    oldestFailed: `SELECT id, name, unique_key FROM ${J} WHERE queue = $1 AND state = 'failed'
       ORDER BY finished_at, length(id), id LIMIT $2::integer FOR UPDATE SKIP LOCKED`,
    /** For retry, in a transaction: id. */
    lockJob: `SELECT name, state, unique_key FROM ${J} WHERE id = $1 FOR UPDATE`,
    /** name, key, now, except id. */
    uniqueHolder: `SELECT id FROM ${J} WHERE name = $1 AND unique_key = $2 AND unique_until > $3::bigint AND ${LIVE} AND id <> $4 LIMIT 1`,
    /** name, key, except id: holds that ran out make way. */
    clearHolds: `UPDATE ${J} SET unique_until = NULL WHERE name = $1 AND unique_key = $2 AND unique_until IS NOT NULL AND id <> $3`,
    /** id, now, unique until (or NULL). Back of the queue, as a fresh enqueue would be. */
    retry: `UPDATE ${J} SET state = 'waiting', attempts_made = 0, stalls = 0, run_at = $2::bigint, seq = nextval('${S}.job_seq'),
         unique_until = $3::bigint, finished_at = NULL, result = NULL, progress = NULL, logs = NULL
       WHERE id = $1 RETURNING ${JOB_COLUMNS}`,
    notify: `SELECT pg_notify(${wake}, $1)`,
    /** id, now. */
    cancel: `UPDATE ${J} SET state = 'cancelled', finished_at = $2::bigint, unique_until = NULL WHERE id = $1 AND ${LIVE} RETURNING ${JOB_COLUMNS}`,
    stateOf: `SELECT state FROM ${J} WHERE id = $1`,
    remove: `DELETE FROM ${J} WHERE id = $1 AND state <> 'active' RETURNING id`,
    pause: `INSERT INTO ${S}.paused_queues (queue) VALUES ($1) ON CONFLICT DO NOTHING`,
    resume: `WITH d AS (DELETE FROM ${S}.paused_queues WHERE queue = $1 RETURNING queue) SELECT pg_notify(${wake}, queue) FROM d`,

    // ---- fleet ----------------------------------------------------------
    /**
     * name, holder, now, until. A renewal keeps the fencing token; a takeover
     * (or the holder's return after its lease lapsed) bumps it. Nothing comes
     * back while another holder's lease is live. The upsert locks the row, so
     * two contenders are serialised.
     */
    leaderAcquire: `INSERT INTO ${S}.leaders AS l (name, holder, token, expires_at) VALUES ($1, $2, 1, $4::bigint)
      ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at,
        token = CASE WHEN l.expires_at > $3::bigint THEN l.token ELSE l.token + 1 END
      WHERE l.expires_at <= $3::bigint OR l.holder = excluded.holder
      RETURNING holder, token, expires_at`,
    leaderRelease: `UPDATE ${S}.leaders SET expires_at = 0 WHERE name = $1 AND holder = $2`,
    leaderGet: `SELECT holder, token, expires_at FROM ${S}.leaders WHERE name = $1 AND expires_at > $2::bigint`,
    /** id, info JSON, expires at, forget before. A worker back after it was forgotten goes to the end of the list. */
    workerHeartbeat: `WITH pruned AS (DELETE FROM ${S}.workers WHERE expires_at <= $4::bigint AND id <> $1)
      INSERT INTO ${S}.workers AS w (id, info, expires_at) VALUES ($1, $2::text::json, $3::bigint)
      ON CONFLICT (id) DO UPDATE SET info = excluded.info, expires_at = excluded.expires_at,
        pos = CASE WHEN w.expires_at <= $4::bigint THEN nextval(pg_get_serial_sequence('${S}.workers', 'pos')) ELSE w.pos END`,
    workerRemove: `DELETE FROM ${S}.workers WHERE id = $1`,
    /** forget before. */
    workerList: `SELECT info, expires_at FROM ${S}.workers WHERE expires_at > $1::bigint ORDER BY pos`,

    // ---- schedules ------------------------------------------------------
    scheduleList: `SELECT name, last_slot, last_job_id, paused FROM ${S}.schedules ORDER BY pos`,
    scheduleSlot: `INSERT INTO ${S}.schedules AS s (name, last_slot, last_job_id) VALUES ($1, $2::bigint, $3)
      ON CONFLICT (name) DO UPDATE SET last_slot = excluded.last_slot, last_job_id = excluded.last_job_id
      WHERE s.last_slot IS NULL OR excluded.last_slot > s.last_slot`,
    schedulePaused: `INSERT INTO ${S}.schedules AS s (name, paused) VALUES ($1, $2::boolean)
      ON CONFLICT (name) DO UPDATE SET paused = excluded.paused`,

    serverSettings: `SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sync,
      current_setting('server_version_num')::integer AS version, current_setting('server_version') AS version_text`,
  };
}

export type Statements = ReturnType<typeof statements>;

/** The enqueue call, shared with the client's transactional enqueue: jobs as JSON text, now as text. */
export function enqueueSql(s: SchemaNames): string {
  return `SELECT id, deduplicated FROM ${s.q}.enqueue_json($1::text::json, $2::text::bigint)`;
}

/** listJobs: its WHERE varies with the filters, so the text is built per filter shape (and cached by the store). */
export function listSql(s: SchemaNames, f: { state: boolean; queue: boolean; name: boolean; after: boolean }): string {
  const where: string[] = [];
  let n = 0;
  if (f.state) where.push(`state = $${++n}`);
  if (f.queue) where.push(`queue = $${++n}`);
  if (f.name) where.push(`name = $${++n}`);
  if (f.after) {
    const c = ++n;
    const id = ++n;
    // Newest first, ids in shortlex order (core/ids.ts): the jobs_created index serves this order.
    where.push(`(created_at < $${c}::bigint OR (created_at = $${c}::bigint AND (length(id) < length($${id}::text) OR (length(id) = length($${id}::text) AND id < $${id}::text))))`);
  }
  return `SELECT ${JOB_COLUMNS} FROM ${s.q}.jobs ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
    ORDER BY created_at DESC, length(id) DESC, id DESC LIMIT $${++n}::integer`;
}
