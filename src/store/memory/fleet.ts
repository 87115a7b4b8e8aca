/**
 * The memory store's fleet state: the leader lease with its fencing token,
 * worker heartbeats, and schedule state. Apart from the jobs because none
 * of it touches a job, and the job part is big enough on its own.
 */

import { DEAD_WORKER_KEEP_MS, type LeaderInfo, type ScheduleState, type WorkerRecord } from "../../core/types.ts";
import type { HeartbeatParams, LeaderParams } from "../store.ts";

export class MemoryFleet {
  private leaders = new Map<string, LeaderInfo>();
  private leaderTokens = new Map<string, number>();
  private workers = new Map<string, WorkerRecord>();
  private schedules = new Map<string, ScheduleState>();

  leaderAcquire(p: LeaderParams): LeaderInfo | undefined {
    const { now } = p;
    const cur = this.leaders.get(p.name);
    if (cur && cur.holder !== p.holder && cur.until > now) return undefined;
    let token = cur?.token ?? 0;
    // A new term (new holder, or the same one after its lease lapsed) gets a higher fencing token.
    if (!cur || cur.holder !== p.holder || cur.until <= now) {
      token = (this.leaderTokens.get(p.name) ?? 0) + 1;
      this.leaderTokens.set(p.name, token);
    }
    const info = { holder: p.holder, token, until: now + p.ttlMs };
    this.leaders.set(p.name, info);
    return { ...info };
  }

  leaderRelease(p: { name: string; holder: string }): void {
    if (this.leaders.get(p.name)?.holder === p.holder) this.leaders.delete(p.name);
  }

  leaderGet(name: string, now: number): LeaderInfo | undefined {
    const cur = this.leaders.get(name);
    return cur && cur.until > now ? { ...cur } : undefined;
  }

  workerHeartbeat(p: HeartbeatParams): void {
    this.prune(p.now);
    this.workers.set(p.info.id, { ...p.info, expiresAt: p.now + p.ttlMs });
  }

  workerRemove(id: string): void {
    this.workers.delete(id);
  }

  listWorkers(now: number): WorkerRecord[] {
    this.prune(now);
    return [...this.workers.values()].map((w) => ({ ...w }));
  }

  /** Workers whose record has lapsed: their active jobs are rescued without waiting for the lease. */
  deadWorkers(now: number): Set<string> {
    this.prune(now);
    const dead = new Set<string>();
    for (const w of this.workers.values()) if (w.expiresAt <= now) dead.add(w.id);
    return dead;
  }

  scheduleStates(): ScheduleState[] {
    return [...this.schedules.values()].map((s) => ({ ...s }));
  }

  scheduleRecordSlot(name: string, slot: number, jobId: string): void {
    const cur = this.schedules.get(name) ?? { name, paused: false };
    if (cur.lastSlot === undefined || slot > cur.lastSlot) {
      cur.lastSlot = slot;
      cur.lastJobId = jobId;
    }
    this.schedules.set(name, cur);
  }

  scheduleSetPaused(name: string, paused: boolean): void {
    const cur = this.schedules.get(name) ?? { name, paused };
    cur.paused = paused;
    this.schedules.set(name, cur);
  }

  private prune(now: number): void {
    for (const [id, w] of this.workers) if (w.expiresAt + DEAD_WORKER_KEEP_MS <= now) this.workers.delete(id);
  }
}
