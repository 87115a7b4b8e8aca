/**
 * Job records to and from their Redis form. A job is one hash whose fields
 * are the JobRecord's, flattened: payload, result, progress and errors as
 * JSON, the lease as leaseWorker/leaseToken/leaseUntil, plus the internal
 * FIFO `seq`. Absent optional fields are absent hash fields; to keep the
 * hash small, attemptsMade and stalls are absent while 0, and runAt while it
 * equals createdAt.
 */

import { DEFAULT_UNIQUE_TTL_MS, type JobRecord, type JobState, type NewJob } from "../../core/types.ts";
import type { ReservedJob } from "../store.ts";

export type Fields = Record<string, string>;

/** A Lua reply `{field, value, ...}` as an object. */
export function fieldsOf(flat: unknown): Fields {
  const arr = flat as string[];
  const out: Fields = {};
  for (let i = 0; i + 1 < arr.length; i += 2) out[arr[i]] = arr[i + 1];
  return out;
}

export function decodeJob(id: string, h: Fields): JobRecord {
  const rec: JobRecord = {
    id,
    name: h.name,
    queue: h.queue,
    data: h.data === undefined ? undefined : JSON.parse(h.data),
    state: h.state as JobState,
    priority: Number(h.priority),
    attemptsMade: Number(h.attemptsMade ?? 0),
    maxAttempts: Number(h.maxAttempts),
    stalls: Number(h.stalls ?? 0),
    runAt: Number(h.runAt ?? h.createdAt),
    createdAt: Number(h.createdAt),
    errors: h.errors ? JSON.parse(h.errors) : [],
  };
  if (h.startedAt !== undefined) rec.startedAt = Number(h.startedAt);
  if (h.finishedAt !== undefined) rec.finishedAt = Number(h.finishedAt);
  if (h.leaseToken !== undefined) rec.lease = { workerId: h.leaseWorker, token: Number(h.leaseToken), until: Number(h.leaseUntil) };
  if (h.progress !== undefined) rec.progress = JSON.parse(h.progress);
  if (h.logs !== undefined) rec.logs = h.logs.split("\n").map((line) => JSON.parse(line));
  if (h.result !== undefined) rec.result = JSON.parse(h.result);
  if (h.uniqueKey !== undefined) rec.uniqueKey = h.uniqueKey;
  return rec;
}

/** `{id, {field, value, ...}}` pairs from a script reply (a later field overrides an earlier one). */
export function decodeJobs(reply: unknown): JobRecord[] {
  return (reply as [string, string[]][]).map(([id, flat]) => decodeJob(id, fieldsOf(flat)));
}

/** The fields reserve.lua reads, in its order (RESERVED_FIELDS there). */
const RESERVED_FIELDS = ["name", "queue", "data", "priority", "attemptsMade", "maxAttempts", "stalls", "runAt", "createdAt", "errors", "progress", "uniqueKey", "leaseToken"] as const;

/** reserve.lua's reply: `{id, token, values}` per job, plus the claim the caller made. */
export function decodeReserved(reply: unknown, claim: { now: number; workerId: string; leaseUntil: number }): ReservedJob[] {
  return (reply as [string, string, (string | null)[]][]).map(([id, token, values]) => {
    const h: Fields = {};
    RESERVED_FIELDS.forEach((f, i) => {
      if (values[i] !== null && values[i] !== undefined) h[f] = values[i]!;
    });
    const rec = decodeJob(id, h);
    rec.state = "active";
    rec.startedAt = claim.now;
    rec.lease = { workerId: claim.workerId, token: Number(token), until: claim.leaseUntil };
    return rec as ReservedJob;
  });
}

/** JSON text for a value, "" for undefined (what JSON.stringify cannot represent). */
export function toJson(value: unknown, what: string): string {
  if (value === undefined) return "";
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError(`${what} cannot be stored as JSON (got ${typeof value})`);
  return text;
}

/** The 10 ARGV fields of one job in enqueue.lua; a job without an id is numbered by the script. */
export function enqueueArgs(spec: NewJob, now: number): string[] {
  const ttl = Math.max(1, Math.round(spec.uniqueTtlMs ?? DEFAULT_UNIQUE_TTL_MS));
  return [
    spec.id ?? "",
    spec.id === undefined ? "0" : "1",
    spec.name,
    spec.queue,
    toJson(spec.data, `data of job "${spec.name}"`),
    String(spec.priority ?? 0),
    String(spec.maxAttempts),
    String(spec.runAt ?? now),
    spec.uniqueKey === undefined ? "" : `k${spec.uniqueKey}`,
    String(ttl),
  ];
}
