/**
 * The PostgreSQL store's small, non-job tables: the leader lease (with its
 * fencing token), worker heartbeats and cron schedule state. Apart from
 * postgres-store.ts so that file stays about jobs. Every call is one
 * statement (statements.ts); the lease upsert locks its row, so two
 * schedulers contending for it are serialised.
 */

import { DEAD_WORKER_KEEP_MS, type LeaderInfo, type ScheduleState, type WorkerInfo, type WorkerRecord } from "../../core/types.ts";
import type { HeartbeatParams, LeaderParams } from "../store.ts";
import type { Statements } from "./statements.ts";

type Query = <R = Record<string, unknown>>(what: string, text: string, values?: unknown[]) => Promise<R[]>;
type LeaderRow = { holder: string; token: number; expires_at: number };

export class PgFleet {
  constructor(
    private readonly st: Statements,
    private readonly q: Query,
  ) {}

  async leaderAcquire(p: LeaderParams): Promise<LeaderInfo | undefined> {
    const now = Math.round(p.now);
    const [row] = await this.q<LeaderRow>("leaderAcquire", this.st.leaderAcquire, [p.name, p.holder, now, now + Math.round(p.ttlMs)]);
    return row && { holder: row.holder, token: row.token, until: row.expires_at };
  }

  async leaderRelease(p: { name: string; holder: string }): Promise<void> {
    await this.q("leaderRelease", this.st.leaderRelease, [p.name, p.holder]);
  }

  async leaderGet(p: { name: string; now: number }): Promise<LeaderInfo | undefined> {
    const [row] = await this.q<LeaderRow>("leaderGet", this.st.leaderGet, [p.name, Math.round(p.now)]);
    return row && { holder: row.holder, token: row.token, until: row.expires_at };
  }

  /** A lapsed row marks a dead worker (its jobs are rescued, status shows it) for a while, then goes. */
  async workerHeartbeat(p: HeartbeatParams): Promise<void> {
    const now = Math.round(p.now);
    await this.q("workerHeartbeat", this.st.workerHeartbeat, [p.info.id, JSON.stringify(p.info), now + Math.round(p.ttlMs), now - DEAD_WORKER_KEEP_MS]);
  }

  async workerRemove(id: string): Promise<void> {
    await this.q("workerRemove", this.st.workerRemove, [id]);
  }

  async listWorkers(p: { now: number }): Promise<WorkerRecord[]> {
    const rows = await this.q<{ info: string; expires_at: number }>("listWorkers", this.st.workerList, [Math.round(p.now) - DEAD_WORKER_KEEP_MS]);
    return rows.map((r) => ({ ...(JSON.parse(r.info) as WorkerInfo), expiresAt: r.expires_at }));
  }

  async scheduleStates(): Promise<ScheduleState[]> {
    const rows = await this.q<{ name: string; last_slot: number | null; last_job_id: string | null; paused: boolean }>("scheduleStates", this.st.scheduleList);
    return rows.map((r) => {
      const s: ScheduleState = { name: r.name, paused: r.paused };
      if (r.last_slot !== null) s.lastSlot = r.last_slot;
      if (r.last_job_id !== null) s.lastJobId = r.last_job_id;
      return s;
    });
  }

  /** Only moves `last_slot` forward. */
  async scheduleRecordSlot(name: string, slot: number, jobId: string): Promise<void> {
    await this.q("scheduleRecordSlot", this.st.scheduleSlot, [name, Math.round(slot), jobId]);
  }

  async scheduleSetPaused(name: string, paused: boolean): Promise<void> {
    await this.q("scheduleSetPaused", this.st.schedulePaused, [name, paused]);
  }
}
