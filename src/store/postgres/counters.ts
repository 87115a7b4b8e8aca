/**
 * Jobs per queue and state, kept by the database as jobs change state, so
 * `counts()` (`GET /api/queues`, `qworker status`, the dashboard) reads a
 * few rows whether the table holds 1,000 jobs or 1,000,000 (issue 17).
 *
 * Why this shape:
 * - The paths that move many jobs at once (enqueue, the claim and its
 *   piggybacked completions, complete, promotion, retention) count their
 *   own moves: one delta row per queue per statement, from the rows they
 *   changed (count-sql.ts). They set `qworker.counted` for that, which the
 *   triggers below check.
 * - Row triggers on `jobs` count every other move, whoever makes it: fail,
 *   retry, cancel, release, remove, the rescuer, enqueues with unique keys,
 *   an older qworker still running during an upgrade, a DBA's DELETE. Their
 *   WHEN clause keeps them silent for updates that move no job and for
 *   statements that count themselves, so those pay nothing (statement
 *   triggers with transition tables would copy every changed row, which
 *   cost the drain ~5%).
 * - The moves go to `count_deltas`, an append-only table without an index.
 *   A counter row updated by every claim and completion would hold its row
 *   lock until commit and serialise the fleet on it; appending takes no
 *   lock anyone else waits for, and a rolled-back transaction's deltas
 *   vanish with it.
 * - `fold_counts()` moves the committed deltas into `queue_counts` (one row
 *   per queue) and deletes them, in one transaction; a try-lock lets one
 *   caller fold at a time and the others skip. The store folds after each
 *   rescue pass (the leader, every `rescueInterval`), after retention, and
 *   when a read finds many deltas pending.
 * - A read is `queue_counts` plus the sum of the pending deltas, in one
 *   statement (one snapshot), so it is exact at every moment, fold or no
 *   fold.
 *
 * Queues are listed in the order they first had a job (the lowest delta
 * id), as the memory and SQLite stores list them.
 */

import { COUNTED_SETTING, countMove, DECLARE_PREV_COUNTED, RESTORE_COUNTED, SET_COUNTED, STATES } from "./count-sql.ts";
import { enqueueJsonFunction, promoteFunction, reserveFunction } from "./functions.ts";
import type { SchemaNames } from "./names.ts";

/** True unless the current statement counts its own moves (count-sql.ts). */
const UNCOUNTED = `current_setting('${COUNTED_SETTING}', true) IS DISTINCT FROM 'on'`;

/** A read that finds more pending delta rows than this folds them afterwards (no leader may be folding). */
export const FOLD_PENDING_ROWS = 20_000;

/** Schema version 2: the tables, the triggers, the fold, and the counts of the jobs already there. */
export function countersV2(s: SchemaNames, defaultUniqueTtlMs: number): string {
  const S = s.q;
  const cols = STATES.join(", ");
  const tally = STATES.map((st) => `count(*) FILTER (WHERE state = '${st}')`).join(", ");
  return `
  CREATE TABLE ${S}.queue_counts (
    queue     text   PRIMARY KEY,
    waiting   bigint NOT NULL DEFAULT 0,
    delayed   bigint NOT NULL DEFAULT 0,
    active    bigint NOT NULL DEFAULT 0,
    completed bigint NOT NULL DEFAULT 0,
    failed    bigint NOT NULL DEFAULT 0,
    cancelled bigint NOT NULL DEFAULT 0,
    -- The delta id of the queue's first move: the order counts() lists queues in.
    pos       bigint NOT NULL
  );

  -- No index: appends only touch the heap. The fold deletes every row it saw, so the table stays
  -- small; vacuum it early, as reads scan it whole.
  CREATE TABLE ${S}.count_deltas (
    id        bigint  GENERATED ALWAYS AS IDENTITY,
    queue     text    NOT NULL,
    waiting   integer NOT NULL,
    delayed   integer NOT NULL,
    active    integer NOT NULL,
    completed integer NOT NULL,
    failed    integer NOT NULL,
    cancelled integer NOT NULL
  ) WITH (
    autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000,
    autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 5000
  );

  -- One job's move. An UPDATE that moves a job within its queue is one delta row.
  CREATE FUNCTION ${S}._count_row() RETURNS trigger LANGUAGE plpgsql AS $fn$
  BEGIN
    IF TG_OP = 'UPDATE' AND OLD.queue = NEW.queue THEN
      INSERT INTO ${S}.count_deltas (queue, ${cols})
      VALUES (NEW.queue, ${STATES.map((st) => `(NEW.state = '${st}')::integer - (OLD.state = '${st}')::integer`).join(", ")});
      RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
      INSERT INTO ${S}.count_deltas (queue, ${cols}) VALUES (OLD.queue, ${STATES.map((st) => `-(OLD.state = '${st}')::integer`).join(", ")});
    END IF;
    IF TG_OP <> 'DELETE' THEN
      INSERT INTO ${S}.count_deltas (queue, ${cols}) VALUES (NEW.queue, ${STATES.map((st) => `(NEW.state = '${st}')::integer`).join(", ")});
    END IF;
    RETURN NULL;
  END
  $fn$;

  -- TRUNCATE locks out every writer of jobs, so no delta is in flight: every count is zero after it.
  CREATE FUNCTION ${S}._count_truncated() RETURNS trigger LANGUAGE plpgsql AS $fn$
  BEGIN
    DELETE FROM ${S}.count_deltas;
    UPDATE ${S}.queue_counts SET ${STATES.map((st) => `${st} = 0`).join(", ")};
    RETURN NULL;
  END
  $fn$;

  -- Folds the committed deltas into queue_counts. Returns how many delta rows it folded,
  -- or -1 when another session is folding (it will fold these too, or the next caller will).
  CREATE FUNCTION ${S}.fold_counts() RETURNS bigint LANGUAGE plpgsql AS $fn$
  DECLARE
    n bigint;
  BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext(${literal(`qworker-fold-counts:${s.name}`)})) THEN RETURN -1; END IF;
    WITH gone AS (DELETE FROM ${S}.count_deltas RETURNING *),
    per_queue AS (
      SELECT queue, min(id) AS pos, count(*) AS n, ${STATES.map((st) => `sum(${st}) AS ${st}`).join(", ")} FROM gone GROUP BY queue
    ), upsert AS (
      INSERT INTO ${S}.queue_counts AS c (queue, pos, ${cols})
      SELECT queue, pos, ${cols} FROM per_queue ORDER BY queue
      ON CONFLICT (queue) DO UPDATE SET ${STATES.map((st) => `${st} = c.${st} + excluded.${st}`).join(", ")}
    )
    SELECT coalesce(sum(per_queue.n), 0) INTO n FROM per_queue;
    RETURN n;
  END
  $fn$;

  -- The jobs already there (an upgrade): no writer may move one between this count and the triggers.
  LOCK TABLE ${S}.jobs IN SHARE ROW EXCLUSIVE MODE;
  -- Row triggers with a WHEN: a statement that counts its own moves, or an update that moves no job
  -- (progress, logs, lease renewals), never calls them, and nothing is captured for them.
  CREATE TRIGGER jobs_count_insert AFTER INSERT ON ${S}.jobs
    FOR EACH ROW WHEN (${UNCOUNTED}) EXECUTE FUNCTION ${S}._count_row();
  CREATE TRIGGER jobs_count_update AFTER UPDATE ON ${S}.jobs
    FOR EACH ROW WHEN ((OLD.state <> NEW.state OR OLD.queue <> NEW.queue) AND ${UNCOUNTED}) EXECUTE FUNCTION ${S}._count_row();
  CREATE TRIGGER jobs_count_delete AFTER DELETE ON ${S}.jobs
    FOR EACH ROW WHEN (${UNCOUNTED}) EXECUTE FUNCTION ${S}._count_row();
  CREATE TRIGGER jobs_count_truncate AFTER TRUNCATE ON ${S}.jobs
    FOR EACH STATEMENT EXECUTE FUNCTION ${S}._count_truncated();
  -- Positions below every delta id: these queues are listed first, oldest job first, as before the upgrade.
  INSERT INTO ${S}.queue_counts (queue, pos, ${cols})
  SELECT queue, row_number() OVER (ORDER BY min(created_at), queue) - 9223372036854775807, ${tally}
    FROM ${S}.jobs GROUP BY queue;
  -- complete: was a single statement; as a function its plan is cached, which keeps the counting free.
  -- p_async_commit: as reserve's.
  CREATE FUNCTION ${S}.complete_jobs(p_worker text, p_now bigint, p_ids text[], p_tokens bigint[], p_results text[], p_async_commit boolean)
  RETURNS void LANGUAGE plpgsql AS $fn$
  DECLARE
    ${DECLARE_PREV_COUNTED}
  BEGIN
    IF p_async_commit THEN
      PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
    ${SET_COUNTED}
    WITH done AS (
      UPDATE ${S}.jobs t SET state = 'completed', attempts_made = t.attempts_made + 1, result = c.result::json,
             finished_at = p_now, unique_until = NULL
        FROM unnest(p_ids, p_tokens, p_results) AS c(id, token, result)
       WHERE t.id = c.id AND t.state = 'active' AND t.lease_worker = p_worker AND t.lease_token = c.token
      RETURNING t.queue)
    ${countMove(S, "done", "active", "completed")};
    ${RESTORE_COUNTED}
  END
  $fn$;
  ${enqueueJsonFunction(s, defaultUniqueTtlMs, "counted")}
  ${promoteFunction(s, "counted")}
  ${reserveFunction(s, "counted")}
  `;
}

/** The statements the store sends about counts. */
export function counterStatements(s: SchemaNames) {
  const S = s.q;
  const sums = STATES.map((st) => `sum(${st})::bigint AS ${st}`).join(", ");
  return {
    /** Per queue: totals plus pending deltas, in the order queues first had a job; `pending`: delta rows seen. */
    counts: `SELECT queue, ${sums}, min(pos) AS pos, sum(rows)::bigint AS pending FROM (
        SELECT queue, ${STATES.join(", ")}, pos, 0 AS rows FROM ${S}.queue_counts
        UNION ALL
        SELECT queue, ${STATES.join(", ")}, id, 1 FROM ${S}.count_deltas
      ) c GROUP BY queue ORDER BY min(pos), queue`,
    fold: `SELECT ${S}.fold_counts() AS folded`,
  };
}

export type CounterRow = { queue: string; pos: number; pending: number } & Record<(typeof STATES)[number], number>;

/** A SQL string literal (the schema name is checked by names.ts; quotes are doubled all the same). */
function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
