/**
 * The one place that knows how a job row maps to a JobRecord: column names,
 * JSON text columns, NULL for "absent". Everything else in the SQLite store
 * passes JobRecords around.
 */

import type { JobErrorRecord, JobRecord, JobState } from "../../core/types.ts";
import type { ReservedJob } from "../store.ts";

/**
 * A parked job (sqlite/flow.ts) sits this far up in priority, past every
 * real one (MAX_PRIORITY is 65,535): claims stop below it, so they never
 * walk a parked job, and its place in line is kept for when it comes back.
 */
export const PARKED_PRIORITY = 1_000_000;

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
  unique_key: string | null;
  unique_until: number | null;
  logs: string | null;
  flow: string | null;
  parked_on: string | null;
}

/** The columns a claim returns (statements.ts, CLAIMED): what a waiting job can hold. */
export type ClaimedRow = Pick<
  JobRow,
  "id" | "name" | "queue" | "priority" | "seq" | "data" | "attempts_made" | "max_attempts" | "stalls" | "run_at" | "created_at" | "lease_token" | "progress" | "errors" | "unique_key" | "flow"
>;

/** JSON text for a column, NULL for undefined (so `result: undefined` stays absent, `null` stays null). */
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
    // A parked job (flow.ts) keeps its own priority under the parking offset.
    priority: r.priority % PARKED_PRIORITY,
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
  if (r.flow !== null) rec.flow = JSON.parse(r.flow);
  return rec;
}

/**
 * A claimed row as the record the worker gets: exactly what toRecord would
 * make of the whole row, minus the log (a claim never carries it), built
 * from the claim's columns and what the claim itself set.
 */
export function toReserved(r: ClaimedRow, workerId: string, now: number, until: number): ReservedJob {
  const rec: ReservedJob = {
    id: r.id,
    name: r.name,
    queue: r.queue,
    data: fromJson(r.data),
    state: "active",
    priority: r.priority,
    attemptsMade: r.attempts_made,
    maxAttempts: r.max_attempts,
    stalls: r.stalls,
    runAt: r.run_at,
    createdAt: r.created_at,
    errors: r.errors === "[]" ? [] : (JSON.parse(r.errors) as JobErrorRecord[]),
    startedAt: now,
    lease: { workerId, token: r.lease_token, until },
  };
  if (r.progress !== null) rec.progress = JSON.parse(r.progress);
  if (r.unique_key !== null) rec.uniqueKey = r.unique_key;
  return rec;
}

/** Claim order inside one queue: RETURNING gives rows in no promised order. */
export function bySlot(a: Pick<JobRow, "priority" | "seq">, b: Pick<JobRow, "priority" | "seq">): number {
  return a.priority - b.priority || a.seq - b.seq;
}
