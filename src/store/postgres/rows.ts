/**
 * The one place that knows how a jobs row maps to a JobRecord. The pool
 * hands json columns over as their raw text and int8 columns as numbers
 * (connection.ts sets those parsers), so SQL NULL means "absent" and the
 * JSON text `null` means null, as in every other store.
 */

import type { JobErrorRecord, JobRecord, JobState } from "../../core/types.ts";

export interface JobRow {
  id: string;
  name: string;
  queue: string;
  state: JobState;
  priority: number;
  seq: number;
  data: string | null;
  attempts_made: number;
  max_attempts: number;
  stalls: number;
  run_at: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  lease_worker: string | null;
  lease_token: number;
  lease_until: number | null;
  progress: string | null;
  result: string | null;
  errors: string;
  logs: string | null;
  unique_key: string | null;
  unique_until: number | null;
}

/** Every column, for SELECTs that build a whole record. */
export const JOB_COLUMNS =
  "id, name, queue, state, priority, seq, data, attempts_made, max_attempts, stalls, run_at, created_at, started_at, finished_at, " +
  "lease_worker, lease_token, lease_until, progress, result, errors, logs, unique_key, unique_until";

/** JSON text for a parameter, null for undefined (so `result: undefined` stays absent and `null` stays null). */
export function toJson(value: unknown): string | null {
  return value === undefined ? null : (JSON.stringify(value) ?? null);
}

function fromJson(text: string | null): unknown {
  return text === null ? undefined : JSON.parse(text);
}

export function toRecord(r: JobRow): JobRecord {
  const rec: JobRecord = {
    id: r.id,
    name: r.name,
    queue: r.queue,
    data: fromJson(r.data),
    state: r.state,
    priority: r.priority,
    attemptsMade: r.attempts_made,
    maxAttempts: r.max_attempts,
    stalls: r.stalls,
    runAt: r.run_at,
    createdAt: r.created_at,
    // Most jobs never fail: skip the parse for the common empty list.
    errors: r.errors === "[]" ? [] : (JSON.parse(r.errors) as JobErrorRecord[]),
  };
  if (r.started_at !== null) rec.startedAt = r.started_at;
  if (r.finished_at !== null) rec.finishedAt = r.finished_at;
  if (r.lease_worker !== null) rec.lease = { workerId: r.lease_worker, token: r.lease_token, until: r.lease_until ?? 0 };
  if (r.progress !== null) rec.progress = JSON.parse(r.progress);
  if (r.result !== null) rec.result = JSON.parse(r.result);
  if (r.unique_key !== null) rec.uniqueKey = r.unique_key;
  if (r.logs !== null) rec.logs = JSON.parse(r.logs);
  return rec;
}

/** Claim order: queue position as asked, then priority, then FIFO (RETURNING promises no order). */
export function claimOrder(queues: string[]): (a: JobRow, b: JobRow) => number {
  const rank = new Map(queues.map((q, i) => [q, i]));
  return (a, b) => (rank.get(a.queue) ?? 0) - (rank.get(b.queue) ?? 0) || a.priority - b.priority || a.seq - b.seq;
}
