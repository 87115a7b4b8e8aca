/**
 * Jobs per queue and state, kept by the database as jobs change state, so
 * `counts()` (`GET /api/queues`, `qworker status`, the dashboard) reads a
 * few rows whether the table holds 1,000 jobs or 1,000,000 (issue 17).
 *
 * Why this shape:
 * - Statement-level triggers on `jobs` (with transition tables) record
 *   every move, whoever makes it: the store's own statements and
 *   functions, an app's transactional enqueue through `qworker.enqueue`,
 *   an older qworker still running during an upgrade, a DBA's DELETE. One
 *   trigger call per statement, not per row: a claim of 50 jobs adds one
 *   delta row per queue it touched.
 * - The hottest statements count their own moves instead (see UNCOUNTED).
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

import { reserveFunction } from "./functions.ts";
import type { SchemaNames } from "./names.ts";

/**
 * The hot statements (reserve's completions and claim, complete) count
 * their own moves from the rows they return, which costs a few µs instead
 * of a trigger's ~40 µs, and set `qworker.counted` to 'on' for their
 * transaction so the triggers skip them; statements that move no job
 * (progress, logs, lease renewals) set it too. Every other write, and
 * every write by anyone else, is counted by the triggers.
 */
const UNCOUNTED = `current_setting('qworker.counted', true) IS DISTINCT FROM 'on'`;

/** Sets `qworker.counted` for the current transaction, as a FROM item of a single statement. */
export const COUNTED_HERE = `(SELECT set_config('qworker.counted', 'on', true)) AS counted_here`;

/** A read that finds more pending delta rows than this folds them afterwards (no leader may be folding). */
export const FOLD_PENDING_ROWS = 20_000;

const STATES = ["waiting", "delayed", "active", "completed", "failed", "cancelled"] as const;

/** Schema version 2: the tables, the triggers, the fold, and the counts of the jobs already there. */
export function countersV2(s: SchemaNames): string {
  const S = s.q;
  const cols = STATES.join(", ");
  /** One column per state: how many rows of `rel` are in it, times `sign`. */
  const tally = (sign: string) => STATES.map((st) => `${sign}count(*) FILTER (WHERE state = '${st}')`).join(", ");
  const anyMoved = STATES.map((st) => `sum(${st}) <> 0`).join(" OR ");
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

  CREATE FUNCTION ${S}._count_inserted() RETURNS trigger LANGUAGE plpgsql AS $fn$
  BEGIN
    INSERT INTO ${S}.count_deltas (queue, ${cols})
    SELECT queue, ${tally("")} FROM new_rows GROUP BY queue;
    RETURN NULL;
  END
  $fn$;

  CREATE FUNCTION ${S}._count_deleted() RETURNS trigger LANGUAGE plpgsql AS $fn$
  BEGIN
    INSERT INTO ${S}.count_deltas (queue, ${cols})
    SELECT queue, ${tally("-")} FROM old_rows GROUP BY queue;
    RETURN NULL;
  END
  $fn$;

  -- Most updates move no job (progress, logs, lease renewals): nothing is written for them.
  CREATE FUNCTION ${S}._count_updated() RETURNS trigger LANGUAGE plpgsql AS $fn$
  BEGIN
    INSERT INTO ${S}.count_deltas (queue, ${cols})
    SELECT queue, ${STATES.map((st) => `sum(${st})`).join(", ")} FROM (
      SELECT queue, ${tally("")} FROM new_rows GROUP BY queue
      UNION ALL
      SELECT queue, ${tally("-")} FROM old_rows GROUP BY queue
    ) m(queue, ${cols}) GROUP BY queue HAVING ${anyMoved};
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
  CREATE TRIGGER jobs_count_insert AFTER INSERT ON ${S}.jobs REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (${UNCOUNTED}) EXECUTE FUNCTION ${S}._count_inserted();
  CREATE TRIGGER jobs_count_update AFTER UPDATE ON ${S}.jobs REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT WHEN (${UNCOUNTED}) EXECUTE FUNCTION ${S}._count_updated();
  CREATE TRIGGER jobs_count_delete AFTER DELETE ON ${S}.jobs REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT WHEN (${UNCOUNTED}) EXECUTE FUNCTION ${S}._count_deleted();
  CREATE TRIGGER jobs_count_truncate AFTER TRUNCATE ON ${S}.jobs
    FOR EACH STATEMENT EXECUTE FUNCTION ${S}._count_truncated();
  INSERT INTO ${S}.queue_counts (queue, pos, ${cols})
  SELECT queue, row_number() OVER (ORDER BY min(created_at), queue) - 9223372036854775807, ${tally("")}
    FROM ${S}.jobs GROUP BY queue;
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
