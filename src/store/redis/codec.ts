/**
 * Job records to and from their Redis form. A job is one hash whose fields
 * are the JobRecord's under one-letter names (lua/lib.lua has the table),
 * flattened: payload, result, progress and errors as JSON, the lease as
 * worker/token/until, plus the internal FIFO seq. Absent optional fields
 * are absent hash fields; to keep a waiting job's hash a small listpack,
 * priority, attemptsMade and stalls are absent while 0, and runAt while it
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

/** A job hash as a JobRecord; undefined for a job that is not stored (or staged, not yet published). */
export function decodeJob(id: string, h: Fields): JobRecord | undefined {
  if (h.s === undefined) return undefined;
  const rec: JobRecord = {
    id,
    name: h.n,
    queue: h.q,
    data: h.d === undefined ? undefined : JSON.parse(h.d),
    state: h.s as JobState,
    priority: h.p === undefined ? 0 : Number(h.p),
    attemptsMade: h.a === undefined ? 0 : Number(h.a),
    maxAttempts: Number(h.m),
    stalls: h.x === undefined ? 0 : Number(h.x),
    runAt: Number(h.r ?? h.c),
    createdAt: Number(h.c),
    errors: h.e ? JSON.parse(h.e) : [],
  };
  if (h.t !== undefined) rec.startedAt = Number(h.t);
  if (h.f !== undefined) rec.finishedAt = Number(h.f);
  if (h.k !== undefined) rec.lease = { workerId: h.w, token: Number(h.k), until: Number(h.u) };
  if (h.g !== undefined) rec.progress = JSON.parse(h.g);
  if (h.l !== undefined) rec.logs = h.l.split("\n").map((line) => JSON.parse(line));
  if (h.o !== undefined) rec.result = JSON.parse(h.o);
  if (h.y !== undefined) rec.uniqueKey = h.y;
  if (h.fl !== undefined) rec.flow = JSON.parse(h.fl);
  return rec;
}

/** `{id, {field, value, ...}}` pairs from a script reply. */
export function decodeJobs(reply: unknown): JobRecord[] {
  const out: JobRecord[] = [];
  for (const [id, flat] of reply as [string, string[]][]) {
    const rec = decodeJob(id, fieldsOf(flat));
    if (rec) out.push(rec);
  }
  return out;
}

/**
 * reserve.lua's reply: one string per job, "\0"-joined: id, token, then
 * name, queue, data, priority, attemptsMade, maxAttempts, stalls, runAt,
 * createdAt, errors, progress, uniqueKey ("" = absent; the unique key last,
 * as the only field that may hold anything). Built directly: this runs for
 * every job a worker takes.
 */
export function decodeReserved(reply: unknown, claim: { now: number; workerId: string; leaseUntil: number }): ReservedJob[] {
  const rows = reply as string[];
  const out: ReservedJob[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const v: string[] = new Array(13);
    let start = 0;
    for (let k = 0; k < 13; k++) {
      const end = row.indexOf("\0", start);
      v[k] = row.slice(start, end);
      start = end + 1;
    }
    const uniqueKey = row.slice(start);
    const createdAt = Number(v[10]);
    const rec: ReservedJob = {
      id: v[0],
      name: v[2],
      queue: v[3],
      data: v[4] === "" ? undefined : JSON.parse(v[4]),
      state: "active",
      priority: v[5] === "" ? 0 : Number(v[5]),
      attemptsMade: v[6] === "" ? 0 : Number(v[6]),
      maxAttempts: Number(v[7]),
      stalls: v[8] === "" ? 0 : Number(v[8]),
      runAt: v[9] === "" ? createdAt : Number(v[9]),
      createdAt,
      errors: v[11] ? JSON.parse(v[11]) : [],
      startedAt: claim.now,
      lease: { workerId: claim.workerId, token: Number(v[1]), until: claim.leaseUntil },
    };
    if (v[12] !== "") rec.progress = JSON.parse(v[12]);
    if (uniqueKey !== "") rec.uniqueKey = uniqueKey;
    out[i] = rec;
  }
  return out;
}

/** JSON text for a value, "" for undefined (what JSON.stringify cannot represent). */
export function toJson(value: unknown, what: string): string {
  if (value === undefined) return "";
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError(`${what} cannot be stored as JSON (got ${typeof value})`);
  return text;
}

/** Explicit ids are at most this many bytes: the listing index keeps an id's length in one byte. */
export const MAX_ID_LENGTH = 255;

/** The 11 ARGV fields of one job in enqueue.lua; a job without an id is numbered by the script. */
export function enqueueArgs(spec: NewJob, now: number): string[] {
  if (spec.id !== undefined && (spec.id.length === 0 || Buffer.byteLength(spec.id) > MAX_ID_LENGTH)) {
    throw new TypeError(`job id "${spec.id.slice(0, 40)}" must be 1-${MAX_ID_LENGTH} bytes long`);
  }
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
    spec.flow === undefined ? "" : JSON.stringify(spec.flow),
  ];
}
