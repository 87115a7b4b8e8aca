/**
 * The small, non-job tables of the SQLite store: the leader lease (with its
 * fencing token), worker heartbeats and cron schedule state. Kept apart from
 * sqlite-store.ts so that file stays about jobs. Each function runs inside
 * the caller's read or write; `now` comes from the store's injected clock.
 */

import { DEAD_WORKER_KEEP_MS, type LeaderInfo, type ScheduleState, type WorkerInfo, type WorkerRecord } from "../../core/types.ts";
import type { HeartbeatParams, LeaderParams } from "../store.ts";
import type { Statements } from "./statements.ts";

/** Call inside a write transaction: read-then-upsert must not race another process. */
export function acquireLeader(st: Statements, p: LeaderParams): LeaderInfo | undefined {
  const { now } = p;
  const cur = st.leaderRow.get(p.name);
  const live = cur !== null && cur.expires_at > now;
  if (live && cur.holder !== p.holder) return undefined;
  // A renewal keeps the fencing token; a takeover (or the first holder after a release) bumps it.
  const token = live ? cur.token : (cur?.token ?? 0) + 1;
  const info = { holder: p.holder, token, until: now + p.ttlMs };
  st.leaderUpsert.run(p.name, info.holder, info.token, info.until);
  return info;
}

export function currentLeader(st: Statements, now: number, name: string): LeaderInfo | undefined {
  const cur = st.leaderRow.get(name);
  return cur && cur.expires_at > now ? { holder: cur.holder, token: cur.token, until: cur.expires_at } : undefined;
}

/** Call inside a write transaction. */
export function heartbeat(st: Statements, p: HeartbeatParams): void {
  // A lapsed row marks a dead worker (its jobs are rescued, status shows it) for a while, then goes.
  st.workerPrune.run(p.now - DEAD_WORKER_KEEP_MS);
  st.workerUpsert.run(p.info.id, JSON.stringify(p.info), p.now + p.ttlMs);
}

export function workerRecords(st: Statements, now: number): WorkerRecord[] {
  return st.workerList.all(now - DEAD_WORKER_KEEP_MS).map((r) => ({ ...(JSON.parse(r.info) as WorkerInfo), expiresAt: r.expires_at }));
}

export function scheduleStates(st: Statements): ScheduleState[] {
  return st.scheduleList.all().map((r) => {
    const s: ScheduleState = { name: r.name, paused: r.paused !== 0 };
    if (r.last_slot !== null) s.lastSlot = r.last_slot;
    if (r.last_job_id !== null) s.lastJobId = r.last_job_id;
    return s;
  });
}
