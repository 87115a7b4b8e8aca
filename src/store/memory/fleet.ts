/**
 * The memory store's fleet state: the leader lease with its fencing token,
 * worker heartbeats, and schedule state. Apart from the jobs because none
 * of it touches a job, and the job part is big enough on its own.
 */

import type { Clock } from "../../core/clock.ts";
import type { LeaderInfo, ScheduleState, WorkerInfo } from "../../core/types.ts";
import type { LeaderParams } from "../store.ts";

export class MemoryFleet {
  private leaders = new Map<string, LeaderInfo>();
  private leaderTokens = new Map<string, number>();
  private workers = new Map<string, { info: WorkerInfo; expiresAt: number }>();
  private schedules = new Map<string, ScheduleState>();

  constructor(private readonly clock: Clock) {}

  leaderAcquire(p: LeaderParams): LeaderInfo | undefined {
    const now = this.clock.now();
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

  leaderRelease(p: Omit<LeaderParams, "ttlMs">): void {
    if (this.leaders.get(p.name)?.holder === p.holder) this.leaders.delete(p.name);
  }

  leaderGet(name: string): LeaderInfo | undefined {
    const cur = this.leaders.get(name);
    return cur && cur.until > this.clock.now() ? { ...cur } : undefined;
  }

  workerHeartbeat(info: WorkerInfo, ttlMs: number): void {
    this.workers.set(info.id, { info: { ...info }, expiresAt: this.clock.now() + ttlMs });
  }

  workerRemove(id: string): void {
    this.workers.delete(id);
  }

  listWorkers(): WorkerInfo[] {
    const now = this.clock.now();
    return [...this.workers.values()].filter((w) => w.expiresAt > now).map((w) => ({ ...w.info }));
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
}
