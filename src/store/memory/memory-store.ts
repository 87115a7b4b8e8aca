/**
 * The in-memory store: for tests, dev and `--backend memory`. It is the
 * reference implementation of the Store contract, and the fastest, but it
 * is not durable: everything is lost when the process exits (documented).
 *
 * Waiting jobs sit in one line per queue (waiting-line.ts: a FIFO per
 * priority level), delayed jobs in a heap by due time. Both delete lazily:
 * an entry whose job has moved on is skipped when it comes up, so
 * cancel/remove stay O(1). Every state change goes through `moveTo` (or
 * `admit`/`forget`), which keeps the counts per queue and state that
 * `counts()` returns without a scan.
 */

import type { Clock } from "../../core/clock.ts";
import { InvalidStateError, NotFoundError } from "../../core/errors.ts";
import { compareIds } from "../../core/ids.ts";
import {
  type EnqueueResult,
  type JobRecord,
  type JobState,
  type LeaderInfo,
  type NewJob,
  type QueueCounts,
  type ScheduleState,
  type WorkerRecord,
  DEFAULT_UNIQUE_TTL_MS,
  JOB_LOG_LINES_KEPT,
} from "../../core/types.ts";
import {
  PROMOTE_IN_RESERVE,
  type AppendLogsParams,
  type CancelHeldParams,
  type CompleteParams,
  type EnqueueParams,
  type FlowStatus,
  type ExtendLeasesParams,
  type FailParams,
  type HeartbeatParams,
  type JobPage,
  type LeaderParams,
  type LeaseRef,
  type ListJobsParams,
  type ProgressParams,
  type ReleaseParams,
  type RescueParams,
  type RescueResult,
  type ReserveParams,
  type ReservedJob,
  type RetryFailedParams,
  type RetryFailedResult,
  type Store,
  type TrimParams,
  type WaitForWorkParams,
} from "../store.ts";
import { STALLED_MESSAGE, uniqueTaken } from "../messages.ts";
import { MemoryFleet } from "./fleet.ts";
import { countsFromRows, Tally } from "../tally.ts";
import { MinHeap } from "./heap.ts";
import { WorkSignal } from "./work-signal.ts";
import { expiredIds, pageOf } from "./queries.ts";
import { copy, isLive, newRecord, reservedCopy } from "./records.ts";
import { WaitingLine, type Slot } from "./waiting-line.ts";
import { FlowBook } from "./flow-book.ts";

/** Idle flow keys the rescuer's pass forgets at most, per call. */
const FLOW_SWEEP = 1_000;

interface Due {
  runAt: number;
  id: string;
}


export class MemoryStore implements Store {
  readonly kind = "memory" as const;
  readonly durable = false;

  private jobs = new Map<string, JobRecord>();
  private seqOf = new Map<string, number>();
  private waiting = new Map<string, WaitingLine>();
  private readonly tally = new Tally();
  private delayed = new MinHeap<Due>((a, b) => a.runAt < b.runAt);
  private active = new Set<string>();
  private unique = new Map<string, { id: string; until: number }>();
  private paused = new Set<string>();
  private nextSeq = 0;
  /** The last id handed out: ids are 1, 2, 3, … (core/ids.ts). */
  private lastId = 0;
  private readonly signal = new WorkSignal();
  private closed = false;

  private readonly fleet: MemoryFleet;
  /** Flow control: keys, parked jobs, groups (flow-book.ts). */
  readonly flow = new FlowBook(
    (rec) => this.pushWaiting(rec),
    (slot) => slot.rec.state === "waiting" && this.seqOf.get(slot.rec.id) === slot.seq,
  );

  /** The clock only times waits; every recorded time comes from the caller. */
  constructor(private readonly clock: Clock) {
    this.fleet = new MemoryFleet();
  }

  async open(): Promise<void> {
    this.closed = false;
  }
  async close(): Promise<void> {
    this.closed = true;
    this.signal.wakeAll();
  }
  async ping(): Promise<void> {}

  // ---- producing -------------------------------------------------------

  async enqueue({ jobs, now }: EnqueueParams): Promise<EnqueueResult[]> {
    const results: EnqueueResult[] = [];
    // Within one batch, a later job with the same id/unique key dedupes onto the earlier one.
    for (const spec of jobs) {
      if (spec.id && this.jobs.has(spec.id)) {
        results.push({ id: spec.id, deduplicated: true });
        continue;
      }
      const uniqueRef = spec.uniqueKey === undefined ? undefined : `${spec.name}\u0000${spec.uniqueKey}`;
      if (uniqueRef) {
        const held = this.unique.get(uniqueRef);
        const holder = held && this.jobs.get(held.id);
        if (held && holder && held.until > now && isLive(holder)) {
          results.push({ id: held.id, deduplicated: true });
          continue;
        }
      }
      const rec = newRecord(spec.id ?? String(++this.lastId), spec, now);
      this.jobs.set(rec.id, rec);
      this.tally.add(rec.queue, rec.state);
      this.seqOf.set(rec.id, this.seqFor(rec));
      if (uniqueRef) this.unique.set(uniqueRef, { id: rec.id, until: now + (spec.uniqueTtlMs ?? DEFAULT_UNIQUE_TTL_MS) });
      if (rec.state === "waiting") this.pushWaiting(rec);
      else this.delayed.push({ runAt: rec.runAt, id: rec.id });
      results.push({ id: rec.id, deduplicated: false });
    }
    this.signal.wakeAll();
    return results;
  }

  // ---- consuming -------------------------------------------------------

  async reserve(p: ReserveParams): Promise<ReservedJob[]> {
    const { now } = p;
    if (p.complete?.length) this.completeSync(p.workerId, p.complete, now);
    this.promoteDueSync(PROMOTE_IN_RESERVE, now);
    this.flow.wake(now);
    const names = p.names && new Set(p.names);
    const out: ReservedJob[] = [];
    for (const queue of p.queues) {
      if (this.paused.has(queue) || this.flow.held(queue, now)) continue;
      const line = this.waiting.get(queue);
      if (!line) continue;
      // Jobs no name of this worker matches wait for a worker that has them loaded; they go back after the loop.
      let skipped: Slot[] | undefined;
      while (out.length < p.max) {
        const slot = line.shift();
        if (!slot) break;
        const rec = slot.rec;
        if (rec.state !== "waiting" || this.seqOf.get(rec.id) !== slot.seq) continue;
        if (names && !names.has(rec.name)) {
          (skipped ??= []).push(slot);
          continue;
        }
        // Over a limit: parked on its key (flow-book.ts), not started, no attempt spent.
        if (rec.flow?.limits && !this.flow.tryStart(rec, slot, rec.flow.limits, now)) continue;
        const token = (rec.lease?.token ?? 0) + 1;
        this.moveTo(rec, "active");
        rec.startedAt = now;
        rec.lease = { workerId: p.workerId, token, until: now + p.leaseMs };
        this.active.add(rec.id);
        out.push(reservedCopy(rec));
      }
      if (skipped) for (let i = skipped.length - 1; i >= 0; i--) line.insert(skipped[i]);
      if (out.length >= p.max) break;
    }
    return out;
  }

  async extendLeases(p: ExtendLeasesParams): Promise<string[]> {
    const until = p.now + p.leaseMs;
    const lost: string[] = [];
    for (const ref of p.jobs) {
      const rec = this.held(ref, p.workerId);
      if (rec) rec.lease!.until = until;
      else lost.push(ref.id);
    }
    return lost;
  }

  async complete(p: CompleteParams): Promise<void> {
    this.completeSync(p.workerId, p.jobs, p.now);
  }

  private completeSync(workerId: string, jobs: CompleteParams["jobs"], now: number): void {
    for (const ref of jobs) {
      const rec = this.held(ref, workerId);
      if (!rec) continue;
      this.flow.give(rec, now);
      this.moveTo(rec, "completed");
      rec.attemptsMade += 1;
      rec.result = ref.result;
      rec.finishedAt = now;
      this.settle(rec);
    }
  }

  async fail(p: FailParams): Promise<void> {
    const rec = this.held(p, p.workerId);
    if (!rec) return;
    const { now } = p;
    this.flow.give(rec, now);
    rec.attemptsMade += 1;
    rec.errors.push({ ...p.error, at: now });
    this.active.delete(rec.id);
    if (p.retryAt !== undefined) {
      this.moveTo(rec, "delayed");
      rec.runAt = p.retryAt;
      rec.lease = { ...rec.lease!, until: 0 };
      this.delayed.push({ runAt: p.retryAt, id: rec.id });
      this.signal.wakeAll();
    } else {
      this.moveTo(rec, "failed");
      rec.finishedAt = now;
      this.settle(rec);
    }
  }

  async cancelHeld(p: CancelHeldParams): Promise<void> {
    const rec = this.held(p, p.workerId);
    if (!rec) return;
    this.flow.give(rec, p.now);
    this.moveTo(rec, "cancelled");
    rec.finishedAt = p.now;
    this.settle(rec);
  }

  async release(p: ReleaseParams): Promise<void> {
    for (const ref of p.jobs) {
      const rec = this.held(ref, p.workerId);
      if (!rec) continue;
      this.active.delete(rec.id);
      if (p.pause) {
        this.flow.give(rec, p.pause.now);
        this.flow.pause(rec, p.pause.now + p.pause.ms, p.pause.now);
      } else {
        // No clock here (a shutdown release has no `now`): the start time errs on the safe side, a wake that finds nothing to do.
        this.flow.give(rec, rec.startedAt ?? 0);
      }
      this.moveTo(rec, "waiting");
      rec.lease = { ...rec.lease!, until: 0 };
      this.pushWaiting(rec);
    }
    this.signal.wakeAll();
  }

  async progress(p: ProgressParams): Promise<void> {
    const rec = this.jobs.get(p.id);
    if (rec && rec.state === "active" && rec.lease?.token === p.token) rec.progress = { ...p.progress };
  }

  async appendLogs(p: AppendLogsParams): Promise<void> {
    const rec = this.jobs.get(p.id);
    if (!rec || rec.state !== "active" || rec.lease?.token !== p.token || p.lines.length === 0) return;
    rec.logs = [...(rec.logs ?? []), ...p.lines.map((l) => ({ ...l }))].slice(-(p.keep ?? JOB_LOG_LINES_KEPT));
  }

  async waitForWork(p: WaitForWorkParams): Promise<void> {
    if (p.signal.aborted || this.closed || this.hasReady(p.queues)) return;
    const next = this.delayed.peek();
    const clockNow = this.clock.now();
    const due = Math.min(next ? next.runAt : Infinity, this.flow.nextWake(clockNow) ?? Infinity);
    const untilDue = Number.isFinite(due) ? Math.max(0, due - clockNow) : p.maxWaitMs;
    await this.signal.wait(Math.min(p.maxWaitMs, untilDue), p.signal);
  }

  // ---- maintenance -----------------------------------------------------

  async promoteDue(p: { limit: number; now: number }): Promise<number> {
    return this.promoteDueSync(p.limit, p.now);
  }

  async nextDueAt(): Promise<number | undefined> {
    while (this.delayed.size > 0) {
      const top = this.delayed.peek()!;
      const rec = this.jobs.get(top.id);
      if (rec && rec.state === "delayed" && rec.runAt === top.runAt) return top.runAt;
      this.delayed.pop();
    }
    return undefined;
  }

  async rescueExpired(p: RescueParams): Promise<RescueResult> {
    const { now } = p;
    const dead = this.fleet.deadWorkers(now);
    this.flow.sweep(now, FLOW_SWEEP);
    const result: RescueResult = { rescued: [], failed: [] };
    for (const id of this.active) {
      if (result.rescued.length + result.failed.length >= p.limit) break;
      const rec = this.jobs.get(id)!;
      if (rec.lease!.until >= now && !dead.has(rec.lease!.workerId)) continue;
      this.active.delete(id);
      // The dead worker's slots come back with its jobs.
      this.flow.give(rec, now);
      rec.stalls += 1;
      if (rec.stalls > p.maxStalls) {
        this.moveTo(rec, "failed");
        rec.finishedAt = now;
        rec.errors.push({ attempt: rec.attemptsMade + 1, at: now, name: "Stalled", message: STALLED_MESSAGE });
        rec.attemptsMade += 1;
        this.settle(rec);
        result.failed.push(id);
      } else {
        this.moveTo(rec, "waiting");
        this.pushWaiting(rec);
        result.rescued.push(id);
      }
    }
    if (result.rescued.length) this.signal.wakeAll();
    return result;
  }

  async trim({ policy, now }: TrimParams): Promise<number> {
    const ids = expiredIds(this.jobs.values(), policy, now);
    for (const id of ids) this.forget(id);
    return ids.length;
  }

  // ---- inspecting and managing -----------------------------------------

  async getJob(id: string): Promise<JobRecord | undefined> {
    const rec = this.jobs.get(id);
    return rec && copy(rec);
  }

  async listJobs(p: ListJobsParams): Promise<JobPage> {
    return pageOf(this.jobs.values(), p, copy);
  }

  async counts(queues: string[]): Promise<QueueCounts[]> {
    return countsFromRows(queues, this.paused, this.tally.entries());
  }

  async retryJob({ id, now }: { id: string; now: number }): Promise<JobRecord> {
    const rec = this.mustGet(id);
    if (rec.state !== "failed" && rec.state !== "cancelled" && rec.state !== "completed") {
      throw new InvalidStateError(`job ${id} is ${rec.state}; only failed, cancelled or completed jobs can be retried`);
    }
    const holder = this.otherKeyHolder(rec, now);
    if (holder !== undefined) throw uniqueTaken(id, rec.uniqueKey!, holder);
    this.requeue(rec, now);
    return copy(rec);
  }

  async retryFailed({ queue, limit, now }: RetryFailedParams): Promise<RetryFailedResult> {
    const failed = [...this.jobs.values()]
      .filter((r) => r.state === "failed" && r.queue === queue)
      .sort((a, b) => (a.finishedAt ?? 0) - (b.finishedAt ?? 0) || compareIds(a.id, b.id))
      .slice(0, Math.max(0, limit));
    const out: RetryFailedResult = { retried: [], skipped: [] };
    for (const rec of failed) {
      if (this.otherKeyHolder(rec, now) !== undefined) {
        out.skipped.push(rec.id);
        continue;
      }
      this.requeue(rec, now);
      out.retried.push(rec.id);
    }
    return out;
  }

  /** The id of another live job holding this job's unique key, if any. */
  private otherKeyHolder(rec: JobRecord, now: number): string | undefined {
    if (rec.uniqueKey === undefined) return undefined;
    const held = this.unique.get(`${rec.name}\u0000${rec.uniqueKey}`);
    const holder = held && held.id !== rec.id ? this.jobs.get(held.id) : undefined;
    return held && holder && held.until > now && isLive(holder) ? held.id : undefined;
  }

  /** A finished job back to waiting, attempts reset, at the back of its queue, holding its key again. */
  private requeue(rec: JobRecord, now: number): void {
    const id = rec.id;
    // Live again, it holds its key again.
    if (rec.uniqueKey !== undefined) this.unique.set(`${rec.name}\u0000${rec.uniqueKey}`, { id, until: now + DEFAULT_UNIQUE_TTL_MS });
    this.moveTo(rec, "waiting");
    rec.attemptsMade = 0;
    rec.stalls = 0;
    rec.runAt = now;
    rec.finishedAt = undefined;
    rec.result = undefined;
    rec.progress = undefined;
    delete rec.logs;
    this.flow.forget(id);
    this.seqOf.set(id, this.seqFor(rec));
    this.pushWaiting(rec);
    this.signal.wakeAll();
  }

  async cancelJob({ id, now }: { id: string; now: number }): Promise<JobRecord> {
    const rec = this.mustGet(id);
    if (!isLive(rec)) throw new InvalidStateError(`job ${id} is already ${rec.state}; only waiting, delayed or active jobs can be cancelled`);
    if (rec.state === "active") this.flow.give(rec, now);
    this.flow.forget(id);
    this.moveTo(rec, "cancelled");
    rec.finishedAt = now;
    this.settle(rec);
    return copy(rec);
  }

  async removeJob(id: string): Promise<void> {
    const rec = this.mustGet(id);
    if (rec.state === "active") throw new InvalidStateError(`job ${id} is active; cancel it first, then remove it`);
    this.forget(id);
  }

  async pauseQueue(queue: string): Promise<void> {
    this.paused.add(queue);
  }

  async flowStatus(p: { now: number; limit: number }): Promise<FlowStatus> {
    return this.flow.status(p.limit);
  }

  async resumeQueue(queue: string): Promise<void> {
    this.paused.delete(queue);
    this.signal.wakeAll();
  }

  // ---- fleet and schedules (fleet.ts) ---------------------------------

  async leaderAcquire(p: LeaderParams): Promise<LeaderInfo | undefined> {
    return this.fleet.leaderAcquire(p);
  }
  async leaderRelease(p: { name: string; holder: string }): Promise<void> {
    this.fleet.leaderRelease(p);
  }
  async leaderGet(p: { name: string; now: number }): Promise<LeaderInfo | undefined> {
    return this.fleet.leaderGet(p.name, p.now);
  }
  async workerHeartbeat(p: HeartbeatParams): Promise<void> {
    this.fleet.workerHeartbeat(p);
  }
  async workerRemove(id: string): Promise<void> {
    this.fleet.workerRemove(id);
  }
  async listWorkers(p: { now: number }): Promise<WorkerRecord[]> {
    return this.fleet.listWorkers(p.now);
  }
  async scheduleStates(): Promise<ScheduleState[]> {
    return this.fleet.scheduleStates();
  }
  async scheduleRecordSlot(name: string, slot: number, jobId: string): Promise<void> {
    this.fleet.scheduleRecordSlot(name, slot, jobId);
  }
  async scheduleSetPaused(name: string, paused: boolean): Promise<void> {
    this.fleet.scheduleSetPaused(name, paused);
  }

  // ---- internals -------------------------------------------------------

  /** Into its queue's line at its sequence number: the back for a new one, where it stood for one put back. */
  private pushWaiting(rec: JobRecord): void {
    let line = this.waiting.get(rec.queue);
    if (!line) this.waiting.set(rec.queue, (line = new WaitingLine()));
    line.insert({ rec, seq: this.seqOf.get(rec.id)! });
  }

  /** A new place in line for a job joining its queue: the back, or its group's turn (fair share). */
  private seqFor(rec: JobRecord): number {
    const seq = this.nextSeq++;
    const group = rec.flow?.group;
    if (group === undefined || rec.state !== "waiting") return seq;
    return this.flow.fairSeq(rec.queue, rec.priority, group, this.waiting.get(rec.queue)?.headSeq(rec.priority) ?? seq);
  }

  /** Every state change: the counts follow. */
  private moveTo(rec: JobRecord, state: JobState): void {
    this.tally.move(rec.queue, rec.state, state);
    rec.state = state;
  }

  private promoteDueSync(limit: number, now: number): number {
    let moved = 0;
    while (moved < limit && this.delayed.size > 0 && this.delayed.peek()!.runAt <= now) {
      const due = this.delayed.pop()!;
      const rec = this.jobs.get(due.id);
      if (!rec || rec.state !== "delayed" || rec.runAt !== due.runAt) continue;
      this.moveTo(rec, "waiting");
      this.seqOf.set(rec.id, this.seqFor(rec));
      this.pushWaiting(rec);
      moved++;
    }
    if (moved) this.signal.wakeAll();
    return moved;
  }

  private hasReady(queues: string[]): boolean {
    const top = this.delayed.peek();
    if (top && top.runAt <= this.clock.now()) return true;
    const now = this.clock.now();
    return queues.some((q) => !this.paused.has(q) && !this.flow.held(q, now) && (this.waiting.get(q)?.size ?? 0) > 0);
  }

  /** The record if `workerId` still holds this reservation, else undefined. */
  private held(ref: LeaseRef, workerId: string): JobRecord | undefined {
    const rec = this.jobs.get(ref.id);
    if (!rec || rec.state !== "active" || !rec.lease) return undefined;
    if (rec.lease.workerId !== workerId || rec.lease.token !== ref.token) return undefined;
    return rec;
  }

  /** The job has reached a final state: drop it from the active set and free its unique key. */
  private settle(rec: JobRecord): void {
    this.active.delete(rec.id);
    if (rec.uniqueKey !== undefined) {
      const ref = `${rec.name}\u0000${rec.uniqueKey}`;
      if (this.unique.get(ref)?.id === rec.id) this.unique.delete(ref);
    }
  }

  private forget(id: string): void {
    const rec = this.jobs.get(id);
    if (!rec) return;
    this.tally.add(rec.queue, rec.state, -1);
    this.settle(rec);
    this.flow.forget(id);
    this.jobs.delete(id);
    this.seqOf.delete(id);
  }

  private mustGet(id: string): JobRecord {
    const rec = this.jobs.get(id);
    if (!rec) throw new NotFoundError(`no job with id "${id}"`);
    return rec;
  }
}
