/**
 * The memory store's records: how one is made from an enqueue, and the
 * copies it hands out, so no caller can change what the store holds.
 */

import type { JobRecord, NewJob } from "../../core/types.ts";
import type { ReservedJob } from "../store.ts";

export function newRecord(id: string, spec: NewJob, now: number): JobRecord {
  const runAt = spec.runAt ?? now;
  return {
    id,
    name: spec.name,
    queue: spec.queue,
    data: spec.data,
    state: runAt > now ? "delayed" : "waiting",
    priority: spec.priority ?? 0,
    attemptsMade: 0,
    maxAttempts: spec.maxAttempts,
    stalls: 0,
    runAt,
    createdAt: now,
    errors: [],
    uniqueKey: spec.uniqueKey,
    ...(spec.flow ? { flow: spec.flow } : {}),
  };
}

export function isLive(rec: JobRecord): boolean {
  return rec.state === "waiting" || rec.state === "delayed" || rec.state === "active";
}

/**
 * What a claim hands the worker: a snapshot with the lease, without the log
 * (never read by a worker, and it can be long). Built field by field: a
 * spread and a `delete` cost several times more per claim.
 */
export function reservedCopy(rec: JobRecord): ReservedJob {
  const out: ReservedJob = {
    id: rec.id,
    name: rec.name,
    queue: rec.queue,
    data: rec.data,
    state: rec.state,
    priority: rec.priority,
    attemptsMade: rec.attemptsMade,
    maxAttempts: rec.maxAttempts,
    stalls: rec.stalls,
    runAt: rec.runAt,
    createdAt: rec.createdAt,
    errors: rec.errors.length === 0 ? [] : [...rec.errors],
    startedAt: rec.startedAt,
    lease: { ...rec.lease! },
  };
  if (rec.progress !== undefined) out.progress = rec.progress;
  if (rec.uniqueKey !== undefined) out.uniqueKey = rec.uniqueKey;
  return out;
}

export function copy(rec: JobRecord): JobRecord {
  const out: JobRecord = { ...rec, errors: [...rec.errors], lease: rec.lease && { ...rec.lease } };
  if (rec.logs) out.logs = [...rec.logs];
  return out;
}
