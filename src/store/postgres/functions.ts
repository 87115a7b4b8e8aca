/**
 * The SQL functions schema version 1 creates. Each runs the steps of one
 * store operation in one statement, so it costs one round trip, is atomic,
 * holds no session state (PgBouncer's transaction mode is fine) and sees
 * its own earlier steps (a single statement's CTEs would not: promotion
 * must land before the claim looks for waiting jobs).
 *
 * - enqueue_json(jobs json, now bigint): the one way jobs are stored, by
 *   the store, by the client inside an app's transaction, and by
 *   enqueue(name, payload, opts), the function any language can call.
 *   All of them get the same ids, defaults, dedupe and NOTIFY.
 * - reserve(...): records piggybacked completions, promotes due delayed
 *   jobs, claims in queue order, then priority, then FIFO, with
 *   FOR UPDATE SKIP LOCKED.
 * - promote_due(now, limit), rescue_expired(...): the scheduler's duties.
 *
 * Every change that makes work ready NOTIFYs `<schema>_wake` with the queue
 * name as payload; inside a transaction the notification goes out at
 * commit. It is only a hint: idle workers also poll (waker.ts).
 */

import { countMove, countRows, DECLARE_PREV_COUNTED, RESTORE_COUNTED, SET_COUNTED } from "./count-sql.ts";
import type { SchemaNames } from "./names.ts";

/** The jobs columns in table order, with `logs` left out (NULL): a claim never carries the job's log. */
export function claimColumns(alias: string): string {
  const a = alias;
  return `${a}.id, ${a}.name, ${a}.queue, ${a}.state, ${a}.priority, ${a}.seq, ${a}.data, ${a}.attempts_made, ${a}.max_attempts,
    ${a}.stalls, ${a}.run_at, ${a}.created_at, ${a}.started_at, ${a}.finished_at, ${a}.lease_worker, ${a}.lease_token,
    ${a}.lease_until, ${a}.progress, ${a}.result, ${a}.errors, NULL::json, ${a}.unique_key, ${a}.unique_until`;
}

export function functionsV1(s: SchemaNames, defaultUniqueTtlMs: number): string {
  const S = s.q;
  const wake = `'${s.channel}'`;
  return `
  -- Appends one element to a JSON array qworker wrote, keeping both texts byte for byte.
  CREATE FUNCTION ${S}._json_push(arr json, item json) RETURNS json LANGUAGE sql IMMUTABLE AS $fn$
    SELECT CASE WHEN json_array_length(arr) = 0 THEN ('[' || item::text || ']')::json
                ELSE (left(rtrim(arr::text), -1) || ',' || item::text || ']')::json END
  $fn$;

  -- The last n elements of a || b, in order (job logs).
  CREATE FUNCTION ${S}._keep_last(a json, b json, n integer) RETURNS json LANGUAGE sql IMMUTABLE AS $fn$
    SELECT json_agg(kept.e ORDER BY kept.k) FROM (
      SELECT x.e, x.k FROM (
        SELECT e, k FROM json_array_elements(coalesce(a, '[]'::json)) WITH ORDINALITY AS old(e, k)
        UNION ALL
        SELECT e, k + 1000000000 FROM json_array_elements(b) WITH ORDINALITY AS new(e, k)
      ) x ORDER BY x.k DESC LIMIT n
    ) kept
  $fn$;

  -- Nesting depth of objects and arrays (a scalar is 0, {} is 1); stops counting past budget.
  CREATE FUNCTION ${S}._json_depth(j jsonb, budget integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $fn$
    SELECT CASE
      WHEN jsonb_typeof(j) NOT IN ('object', 'array') THEN 0
      WHEN budget <= 0 THEN 1
      WHEN jsonb_typeof(j) = 'object' THEN 1 + coalesce((SELECT max(${S}._json_depth(v, budget - 1)) FROM jsonb_each(j) AS e(k, v)), 0)
      ELSE 1 + coalesce((SELECT max(${S}._json_depth(v, budget - 1)) FROM jsonb_array_elements(j) AS v), 0)
    END
  $fn$;

${enqueueJsonFunction(s, defaultUniqueTtlMs, "v1")}${promoteFunction(s, "v1")}${reserveFunction(s, "v1")}  -- Active jobs whose lease ran out, then active jobs of workers whose heartbeat record lapsed,
  -- go back to waiting with a stall counted; past p_max_stalls they fail instead.
  CREATE FUNCTION ${S}.rescue_expired(p_now bigint, p_max_stalls integer, p_limit integer, p_message text, p_keep_ms bigint)
  RETURNS TABLE (id text, failed boolean) LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $fn$
  #variable_conflict use_column
  DECLARE
    r record;
    woken text[] := '{}';
  BEGIN
    -- Forget workers dead for long (status stops showing them); their jobs go by lease expiry only.
    DELETE FROM ${S}.workers w WHERE w.expires_at <= p_now - p_keep_ms;
    IF p_limit <= 0 THEN RETURN; END IF;
    FOR r IN
      WITH chosen AS (
        SELECT x.id FROM (
          SELECT e.id FROM (
            SELECT t.id FROM ${S}.jobs t WHERE t.state = 'active' AND t.lease_until < p_now
             ORDER BY t.lease_until LIMIT p_limit FOR UPDATE SKIP LOCKED) e
          UNION ALL
          SELECT d.id FROM (
            SELECT t.id FROM ${S}.jobs t WHERE t.state = 'active' AND t.lease_until >= p_now
               AND t.lease_worker IN (SELECT w.id FROM ${S}.workers w WHERE w.expires_at <= p_now)
             LIMIT p_limit FOR UPDATE SKIP LOCKED) d
        ) x LIMIT p_limit
      )
      UPDATE ${S}.jobs t SET
        state = CASE WHEN t.stalls + 1 > p_max_stalls THEN 'failed' ELSE 'waiting' END,
        stalls = t.stalls + 1,
        attempts_made = CASE WHEN t.stalls + 1 > p_max_stalls THEN t.attempts_made + 1 ELSE t.attempts_made END,
        finished_at = CASE WHEN t.stalls + 1 > p_max_stalls THEN p_now ELSE t.finished_at END,
        errors = CASE WHEN t.stalls + 1 > p_max_stalls
                      THEN ${S}._json_push(t.errors, json_build_object('attempt', t.attempts_made + 1, 'at', p_now, 'name', 'Stalled', 'message', p_message))
                      ELSE t.errors END,
        unique_until = CASE WHEN t.stalls + 1 > p_max_stalls THEN NULL ELSE t.unique_until END
      FROM chosen WHERE t.id = chosen.id AND t.state = 'active'
      RETURNING t.id AS rid, t.state = 'failed' AS rfailed, t.queue AS rqueue
    LOOP
      id := r.rid; failed := r.rfailed; RETURN NEXT;
      IF NOT r.rfailed AND NOT (r.rqueue = ANY (woken)) THEN woken := woken || r.rqueue; END IF;
    END LOOP;
    PERFORM pg_notify(${wake}, q) FROM unnest(woken) AS q;
  END
  $fn$;
  ${sqlEnqueue(s)}
  `;
}

/**
 * qworker.enqueue(name, payload, opts): for any language, e.g. inside an
 * app's transaction: `SELECT * FROM qworker.enqueue('send-email',
 * '{"to":"a@b.co"}', '{"in": 60}')`. opts takes the HTTP API's fields
 * (queue, priority, attempts, key, in, at) with the client's shape checks;
 * the job's own schema and defaults are not known here (queue "default",
 * 3 attempts, no unique key unless `key`), exactly as the direct client.
 */
function sqlEnqueue(s: SchemaNames): string {
  const S = s.q;
  return `
  CREATE FUNCTION ${S}.enqueue(p_name text, p_payload jsonb DEFAULT '{}', p_opts jsonb DEFAULT '{}')
  RETURNS TABLE (id text, deduplicated boolean) LANGUAGE plpgsql AS $fn$
  #variable_conflict use_column
  DECLARE
    now_ms bigint := floor(extract(epoch FROM clock_timestamp()) * 1000);
    opts jsonb := coalesce(p_opts, '{}'::jsonb);
    bad text;
    run_at bigint;
    job jsonb;
    v jsonb;
  BEGIN
    IF p_name IS NULL OR length(p_name) < 1 OR length(p_name) > 128 THEN
      RAISE EXCEPTION 'qworker.enqueue: name: give the job''s name, 1-128 characters' USING ERRCODE = '22023';
    END IF;
    IF jsonb_typeof(opts) <> 'object' THEN
      RAISE EXCEPTION 'qworker.enqueue: opts must be a JSON object like {"in": 60, "queue": "low"}' USING ERRCODE = '22023';
    END IF;
    SELECT string_agg(k, ', ') INTO bad FROM jsonb_object_keys(opts) AS k WHERE k NOT IN ('queue', 'priority', 'attempts', 'key', 'in', 'at');
    IF bad IS NOT NULL THEN
      RAISE EXCEPTION 'qworker.enqueue: opts: % is not an option (queue, priority, attempts, key, in, at)', bad USING ERRCODE = '22023';
    END IF;
    IF p_payload IS NOT NULL AND ${S}._json_depth(p_payload, 65) > 64 THEN
      RAISE EXCEPTION 'qworker.enqueue: data: the payload nests objects or arrays more than 64 levels deep; flatten it' USING ERRCODE = '22023';
    END IF;
    job := jsonb_build_object('name', p_name, 'queue', 'default', 'priority', 0, 'max_attempts', 3);
    v := opts->'queue';
    IF v IS NOT NULL THEN
      IF jsonb_typeof(v) <> 'string' OR length(v #>> '{}') NOT BETWEEN 1 AND 64 THEN
        RAISE EXCEPTION 'qworker.enqueue: opts.queue: must be a string of 1-64 characters' USING ERRCODE = '22023';
      END IF;
      job := job || jsonb_build_object('queue', v);
    END IF;
    v := opts->'priority';
    IF v IS NOT NULL THEN
      IF jsonb_typeof(v) <> 'number' OR (v #>> '{}')::numeric NOT BETWEEN 0 AND 65535 OR (v #>> '{}')::numeric % 1 <> 0 THEN
        RAISE EXCEPTION 'qworker.enqueue: opts.priority: must be a whole number from 0 to 65535' USING ERRCODE = '22023';
      END IF;
      job := job || jsonb_build_object('priority', (v #>> '{}')::integer);
    END IF;
    v := opts->'attempts';
    IF v IS NOT NULL THEN
      IF jsonb_typeof(v) <> 'number' OR (v #>> '{}')::numeric NOT BETWEEN 1 AND 1000 OR (v #>> '{}')::numeric % 1 <> 0 THEN
        RAISE EXCEPTION 'qworker.enqueue: opts.attempts: must be a whole number from 1 to 1000' USING ERRCODE = '22023';
      END IF;
      job := job || jsonb_build_object('max_attempts', (v #>> '{}')::integer);
    END IF;
    v := opts->'key';
    IF v IS NOT NULL THEN
      IF jsonb_typeof(v) <> 'string' OR length(v #>> '{}') NOT BETWEEN 1 AND 512 THEN
        RAISE EXCEPTION 'qworker.enqueue: opts.key: must be a string of 1-512 characters' USING ERRCODE = '22023';
      END IF;
      job := job || jsonb_build_object('unique_key', v);
    END IF;
    IF opts ? 'in' AND opts ? 'at' THEN
      RAISE EXCEPTION 'qworker.enqueue: opts: give in or at, not both' USING ERRCODE = '22023';
    END IF;
    v := opts->'in';
    IF v IS NOT NULL THEN
      IF jsonb_typeof(v) <> 'number' OR (v #>> '{}')::numeric NOT BETWEEN 0 AND ${MAX_AHEAD_S} THEN
        RAISE EXCEPTION 'qworker.enqueue: opts.in: must be a number of seconds from 0 to % (10 years)', ${MAX_AHEAD_S} USING ERRCODE = '22023';
      END IF;
      run_at := now_ms + round((v #>> '{}')::numeric * 1000)::bigint;
    END IF;
    v := opts->'at';
    IF v IS NOT NULL THEN
      BEGIN
        IF jsonb_typeof(v) = 'number' OR (jsonb_typeof(v) = 'string' AND v #>> '{}' ~ '^\\s*[0-9]+\\s*$') THEN
          run_at := trim(v #>> '{}')::numeric::bigint;
        ELSIF jsonb_typeof(v) = 'string' THEN
          run_at := floor(extract(epoch FROM (v #>> '{}')::timestamptz) * 1000);
        END IF;
      EXCEPTION WHEN others THEN
        run_at := NULL;
      END;
      IF run_at IS NULL OR run_at <= 0 THEN
        RAISE EXCEPTION 'qworker.enqueue: opts.at: % is not a date; use ISO 8601 such as 2026-12-01T09:00:00Z or epoch milliseconds', v USING ERRCODE = '22023';
      END IF;
      IF run_at > now_ms + ${MAX_AHEAD_S}::bigint * 1000 THEN
        RAISE EXCEPTION 'qworker.enqueue: opts.at: % is more than 10 years ahead', v USING ERRCODE = '22023';
      END IF;
    END IF;
    IF run_at IS NOT NULL AND run_at > now_ms THEN
      job := job || jsonb_build_object('run_at', run_at);
    END IF;
    -- A SQL NULL payload stores {}, as every other path does; a JSON null stays null.
    job := job || jsonb_build_object('data', coalesce(p_payload, '{}'::jsonb));
    RETURN QUERY SELECT e.id, e.deduplicated FROM ${S}.enqueue_json(json_build_array(job::json), now_ms) AS e;
  END
  $fn$;
  `;
}

/** Nothing is scheduled further ahead than 10 years (registry/enqueue-request.ts MAX_SCHEDULE_AHEAD_MS). */
const MAX_AHEAD_S = 10 * 365 * 86_400;

/**
 * reserve(...), as schema version 1 created it ("v1"), and as version 2
 * replaces it ("counted"): version 2 records the completions' and the
 * claim's moves in count_deltas itself, one row per queue from the rows
 * the UPDATEs return, and sets `qworker.counted` so the jobs triggers
 * leave them alone (count-sql.ts, counters.ts). The nested promote_due
 * counts its own moves.
 */
export function reserveFunction(s: SchemaNames, mode: "v1" | "counted"): string {
  const S = s.q;
  const counted = mode === "counted";
  const completeSql = `UPDATE ${S}.jobs t SET state = 'completed', attempts_made = t.attempts_made + 1, result = c.result::json,
             finished_at = p_now, unique_until = NULL
        FROM unnest(p_done_ids, p_done_tokens, p_done_results) AS c(id, token, result)
       WHERE t.id = c.id AND t.state = 'active' AND t.lease_worker = p_worker AND t.lease_token = c.token`;
  const claimSql = `UPDATE ${S}.jobs t SET state = 'active', started_at = p_now, lease_worker = p_worker,
           lease_token = t.lease_token + 1, lease_until = p_lease_until
      FROM picked WHERE t.id = picked.id AND t.state = 'waiting'
    RETURNING ${claimColumns("t")}`;
  return `  -- Completions first (only of jobs p_worker still holds), then promotion, then the claim:
  -- queues in the order given (paused ones skipped), then priority, then FIFO; only p_names when given.
  -- p_async_commit: this transaction's commit does not wait for the WAL flush (see postgres-store.ts).
  -- Custom plans on every call: a generic plan cannot know the LIMIT is small and may sort a whole backlog.${counted ? "\n  -- Every move it makes is counted here (promote_due counts its own), not by the jobs triggers (counters.ts)." : ""}
  CREATE ${counted ? "OR REPLACE " : ""}FUNCTION ${S}.reserve(
    p_queues text[], p_worker text, p_max integer, p_lease_until bigint, p_now bigint, p_names text[], p_promote integer,
    p_done_ids text[], p_done_tokens bigint[], p_done_results text[], p_async_commit boolean
  ) RETURNS SETOF ${S}.jobs LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $fn$${counted ? `
  DECLARE
    ${DECLARE_PREV_COUNTED}` : ""}
  BEGIN
    IF p_async_commit THEN
      PERFORM set_config('synchronous_commit', 'off', true);
    END IF;${counted ? `
    ${SET_COUNTED}` : ""}
    IF p_done_ids IS NOT NULL THEN
      ${counted ? `WITH done AS (${completeSql.replaceAll("\n", "\n  ")}
       RETURNING t.queue)
      ${countMove(S, "done", "active", "completed")};` : `${completeSql};`}
    END IF;
    -- The cheap index probe first: a nested function call costs more than the claim's lookup.
    IF p_promote > 0 AND EXISTS (SELECT 1 FROM ${S}.jobs t WHERE t.state = 'delayed' AND t.run_at <= p_now) THEN
      PERFORM ${S}.promote_due(p_now, p_promote);
    END IF;
    IF p_max <= 0 THEN${counted ? ` ${RESTORE_COUNTED}` : ""} RETURN; END IF;
    RETURN QUERY
    WITH picked AS (
      SELECT c.id FROM unnest(p_queues) WITH ORDINALITY AS q(name, k)
      CROSS JOIN LATERAL (
        SELECT t.id FROM ${S}.jobs t
         WHERE t.state = 'waiting' AND t.queue = q.name AND (p_names IS NULL OR t.name = ANY (p_names))
         ORDER BY t.priority, t.seq LIMIT p_max FOR UPDATE SKIP LOCKED
      ) c
      WHERE NOT EXISTS (SELECT 1 FROM ${S}.paused_queues p WHERE p.queue = q.name)
      LIMIT p_max
    )${counted ? `, claimed AS (
    ${claimSql}
    ), counted AS (
      ${countMove(S, "claimed", "waiting", "active")}
    )
    SELECT * FROM claimed;
    ${RESTORE_COUNTED}` : `
    ${claimSql};`}
  END
  $fn$;

`;
}

/**
 * enqueue_json(jobs, now), as schema version 1 created it ("v1"), and as
 * version 2 replaces it ("counted"): the set-based insert counts its jobs
 * in count_deltas itself (count-sql.ts).
 */
export function enqueueJsonFunction(s: SchemaNames, defaultUniqueTtlMs: number, mode: "v1" | "counted"): string {
  const S = s.q;
  const wake = `'${s.channel}'`;
  // Version 1 created it without counting; version 2 replaces it with the counting parts below.
  const v1 = mode === "v1";
  return `  -- Stores jobs: a JSON array of {id?, name, queue, data?, priority?, max_attempts, run_at?, unique_key?, unique_ttl_ms?}.
  -- Returns one row per job, in order: its id, and whether an existing job was returned instead
  -- (same explicit id, or the same unique key while that job is live and its hold lasts).
  ${v1 ? "CREATE FUNCTION" : "CREATE OR REPLACE FUNCTION"} ${S}.enqueue_json(p_jobs json, p_now bigint) RETURNS TABLE (id text, deduplicated boolean)
  LANGUAGE plpgsql AS $fn$
  #variable_conflict use_column
  DECLARE
    j record;
    holder text;
    new_id text;
    tries integer;
    woken text[] := '{}';${v1 ? "" : `
    ${DECLARE_PREV_COUNTED}`}
  BEGIN
    IF NOT EXISTS (SELECT 1 FROM json_to_recordset(p_jobs) AS r(id text, unique_key text) WHERE r.id IS NOT NULL OR r.unique_key IS NOT NULL) THEN
      -- Nothing to dedupe: one set-based insert. Ids and FIFO positions are drawn in the batch's order.
${v1 ? "" : `      -- It counts its jobs itself (one delta row per queue); the loop below leaves them to the triggers.
      ${SET_COUNTED}
`}      RETURN QUERY
      WITH src AS MATERIALIZED (
        SELECT nextval('${S}.job_ids') AS n, nextval('${S}.job_seq') AS sq, r.*, a.e->'data' AS data, a.k
        FROM json_array_elements(p_jobs) WITH ORDINALITY AS a(e, k),
             json_to_record(a.e) AS r(name text, queue text, priority integer, max_attempts integer, run_at numeric)
        ORDER BY a.k
      ), ins AS (
        INSERT INTO ${S}.jobs (id, name, queue, state, priority, seq, data, max_attempts, run_at, created_at)
        SELECT src.n::text, src.name, src.queue, CASE WHEN coalesce(src.run_at::bigint, p_now) > p_now THEN 'delayed' ELSE 'waiting' END,
               coalesce(src.priority, 0), src.sq, src.data, src.max_attempts, coalesce(src.run_at::bigint, p_now), p_now
        FROM src
${v1 ? "        RETURNING 1\n      )" : `        RETURNING queue, state
      ), counted AS (
      ${countRows(S, "ins", 1)}
      )`}
      -- (A data-modifying CTE always runs to completion, read or not.)
      SELECT src.n::text, false FROM src ORDER BY src.k;${v1 ? "" : `
      ${RESTORE_COUNTED}`}
      PERFORM pg_notify(${wake}, q.queue) FROM (SELECT DISTINCT r.queue FROM json_to_recordset(p_jobs) AS r(queue text)) q;
      RETURN;
    END IF;

    FOR j IN
      SELECT r.id AS jid, r.name AS jname, r.queue AS jqueue, a.e->'data' AS jdata, coalesce(r.priority, 0) AS jpriority,
             r.max_attempts AS jmax, coalesce(r.run_at::bigint, p_now) AS jrun, r.unique_key AS jkey,
             coalesce(r.unique_ttl_ms::bigint, ${defaultUniqueTtlMs}) AS jttl
      FROM json_array_elements(p_jobs) WITH ORDINALITY AS a(e, k),
           json_to_record(a.e) AS r(id text, name text, queue text, priority integer, max_attempts integer, run_at numeric,
                                   unique_key text, unique_ttl_ms numeric)
      ORDER BY a.k
    LOOP
      tries := 0;
      LOOP
        -- An existing id is a no-op that returns it (cron slots: even two leaders insert a slot once).
        IF j.jid IS NOT NULL AND EXISTS (SELECT 1 FROM ${S}.jobs t WHERE t.id = j.jid) THEN
          id := j.jid; deduplicated := true; RETURN NEXT; EXIT;
        END IF;
        IF j.jkey IS NOT NULL THEN
          SELECT t.id INTO holder FROM ${S}.jobs t
           WHERE t.name = j.jname AND t.unique_key = j.jkey AND t.unique_until > p_now AND t.state IN ('waiting', 'delayed', 'active');
          IF FOUND THEN
            id := holder; deduplicated := true; RETURN NEXT; EXIT;
          END IF;
          -- A hold that ran out no longer counts; clear it so the unique index admits the new holder.
          UPDATE ${S}.jobs t SET unique_until = NULL WHERE t.name = j.jname AND t.unique_key = j.jkey AND t.unique_until IS NOT NULL;
        END IF;
        new_id := coalesce(j.jid, nextval('${S}.job_ids')::text);
        INSERT INTO ${S}.jobs (id, name, queue, state, priority, seq, data, max_attempts, run_at, created_at, unique_key, unique_until)
        VALUES (new_id, j.jname, j.jqueue, CASE WHEN j.jrun > p_now THEN 'delayed' ELSE 'waiting' END, j.jpriority,
                nextval('${S}.job_seq'), j.jdata, j.jmax, j.jrun, p_now, j.jkey,
                CASE WHEN j.jkey IS NULL THEN NULL ELSE p_now + j.jttl END)
        ON CONFLICT DO NOTHING;
        IF FOUND THEN
          id := new_id; deduplicated := false; RETURN NEXT;
          IF NOT (j.jqueue = ANY (woken)) THEN woken := woken || j.jqueue; END IF;
          EXIT;
        END IF;
        -- A concurrent transaction stored the same id or unique key and committed meanwhile: look again.
        tries := tries + 1;
        IF tries >= 5 THEN
          RAISE EXCEPTION 'qworker: could not store job "%": a concurrent transaction keeps taking its id or unique key; retry', j.jname
            USING ERRCODE = '40001';
        END IF;
      END LOOP;
    END LOOP;
    PERFORM pg_notify(${wake}, q) FROM unnest(woken) AS q;
  END
  $fn$;

`;
}

/** promote_due(now, limit), as version 1 created it, and as version 2 replaces it: it counts its moves itself. */
export function promoteFunction(s: SchemaNames, mode: "v1" | "counted"): string {
  const S = s.q;
  const wake = `'${s.channel}'`;
  // Version 1 created it without counting; version 2 replaces it with the counting parts below.
  const v1 = mode === "v1";
  return `  -- Due delayed jobs join the back of their queues, in due order. Returns how many moved.
  ${v1 ? "CREATE FUNCTION" : "CREATE OR REPLACE FUNCTION"} ${S}.promote_due(p_now bigint, p_limit integer) RETURNS integer LANGUAGE plpgsql
  SET plan_cache_mode = force_custom_plan AS $fn$
  DECLARE
    moved integer;
    queues text[];${v1 ? "" : `
    ${DECLARE_PREV_COUNTED}`}
  BEGIN
    IF p_limit <= 0 THEN RETURN 0; END IF;${v1 ? "" : `
    ${SET_COUNTED}`}
    WITH due AS (
      SELECT t.id FROM ${S}.jobs t WHERE t.state = 'delayed' AND t.run_at <= p_now
      ORDER BY t.run_at, t.seq LIMIT p_limit FOR UPDATE SKIP LOCKED
    ), numbered AS MATERIALIZED (
      SELECT due.id, nextval('${S}.job_seq') AS sq FROM due
    ), upd AS (
      UPDATE ${S}.jobs t SET state = 'waiting', seq = numbered.sq FROM numbered
       WHERE t.id = numbered.id AND t.state = 'delayed' RETURNING t.queue
${v1 ? "" : `    ), counted AS (
    ${countMove(S, "upd", "delayed", "waiting")}
`}    )
    SELECT count(*), array_agg(DISTINCT upd.queue) INTO moved, queues FROM upd;${v1 ? "" : `
    ${RESTORE_COUNTED}`}
    IF moved > 0 THEN
      PERFORM pg_notify(${wake}, q) FROM unnest(queues) AS q;
    END IF;
    RETURN moved;
  END
  $fn$;

`;
}
