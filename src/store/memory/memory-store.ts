/**
 * The in-memory store: for tests, dev and `--backend memory`. It is the
 * reference implementation of the Store contract, and the fastest, but it
 * is not durable: everything is lost when the process exits (documented).
 *
 * Waiting jobs sit in one min-heap per queue (priority, then FIFO), delayed
 * jobs in one heap by due time. Heaps use lazy deletion: an entry whose job
 * has moved on is skipped when popped, so cancel/remove stay O(1).
 */

import type { Clock } from "../../core/clock.ts";
import { InvalidStateError, NotFoundError } from "../../core/errors.ts";
import { newJobId } from "../../core/ids.ts";
import {
  type EnqueueResult,
  type JobRecord,
  type LeaderInfo,
  type NewJob,
  type QueueCounts,
  type ScheduleState,
  type WorkerInfo,
} from "../../core/types.ts";
import type {
  CompleteParams,
  ExtendLeasesParams,
  FailParams,
  JobPage,
  LeaderParams,
  LeaseRef,
  ListJobsParams,
  ProgressParams,
  ReleaseParams,
  RescueParams,
  RescueResult,
  ReserveParams,
  ReservedJob,
  RetentionPolicy,
  Store,
  WaitForWorkParams,
} from "../store.ts";
import { MemoryFleet } from "./fleet.ts";
import { MinHeap } from "./heap.ts";
import { WorkSignal } from "./work-signal.ts";
import { countsOf, expiredIds, pageOf } from "./queries.ts";

interface Slot {
  priority: number;
  seq: number;
  id: string;
}

interface Due {
  runAt: number;
  id: string;
}

const STALLED_MESSAGE = "stalled too many times: its worker stopped renewing the lease (killed, crashed or hung)";

export class MemoryStore implements Store {
  readonly kind = "memory" as const;
  readonly durable = false;

  private jobs = new Map<string, JobRecord>();
  private seqOf = new Map<string, number>();
  private waiting = new Map<string, MinHeap<Slot>>();
  private delayed = new MinHeap<Due>((a, b) => a.runAt < b.runAt);
  private active = new Set<string>();
  private unique = new Map<string, { id: string; until: number }>();
  private paused = new Set<string>();
  private nextSeq = 0;
  private readonly signal = new WorkSignal();

  private readonly fleet: MemoryFleet;

  constructor(private readonly clock: Clock) {
    this.fleet = new MemoryFleet(clock);
  }

  async open(): Promise<void> {}
  async close(): Promise<void> {
    this.signal.wakeAll();
  }
  async ping(): Promise<void> {}

  // ---- producing -------------------------------------------------------

  async enqueue(jobs: NewJob[]): Promise<EnqueueResult[]> {
    const now = this.clock.now();
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
      const runAt = spec.runAt ?? now;
      const rec: JobRecord = {
        id: spec.id ?? newJobId(now),
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
      };
      this.jobs.set(rec.id, rec);
      this.seqOf.set(rec.id, this.nextSeq++);
      if (uniqueRef) this.unique.set(uniqueRef, { id: rec.id, until: now + (spec.uniqueTtlMs ?? 3_600_000) });
      if (rec.state === "waiting") this.pushWaiting(rec);
      else this.delayed.push({ runAt, id: rec.id });
      results.push({ id: rec.id, deduplicated: false });
    }
    this.signal.wakeAll();
    return results;
  }

  // ---- consuming -------------------------------------------------------

  async reserve(p: ReserveParams): Promise<ReservedJob[]> {
    this.promoteDueSync(Number.POSITIVE_INFINITY);
    const now = this.clock.now();
    const out: ReservedJob[] = [];
    for (const queue of p.queues) {
      if (this.paused.has(queue)) continue;
      const heap = this.waiting.get(queue);
      while (heap && heap.size > 0 && out.length < p.max) {
        const slot = heap.pop()!;
        const rec = this.jobs.get(slot.id);
        if (!rec || rec.state !== "waiting" || this.seqOf.get(rec.id) !== slot.seq) continue;
        const token = (rec.lease?.token ?? 0) + 1;
        rec.state = "active";
        rec.startedAt = now;
        rec.lease = { workerId: p.workerId, token, until: now + p.leaseMs };
        this.active.add(rec.id);
        out.push(copy(rec) as ReservedJob);
      }
      if (out.length >= p.max) break;
    }
    return out;
  }

  async extendLeases(p: ExtendLeasesParams): Promise<string[]> {
    const until = this.clock.now() + p.leaseMs;
    const lost: string[] = [];
    for (const ref of p.jobs) {
      const rec = this.held(ref, p.workerId);
      if (rec) rec.lease!.until = until;
      else lost.push(ref.id);
    }
    return lost;
  }

  async complete(p: CompleteParams): Promise<void> {
    const now = this.clock.now();
    for (const ref of p.jobs) {
      const rec = this.held(ref, p.workerId);
      if (!rec) continue;
      rec.state = "completed";
      rec.attemptsMade += 1;
      rec.result = ref.result;
      rec.finishedAt = now;
      this.settle(rec);
    }
  }

  async fail(p: FailParams): Promise<void> {
    const rec = this.held(p, p.workerId);
    if (!rec) return;
    const now = this.clock.now();
    rec.attemptsMade += 1;
    rec.errors.push({ ...p.error, at: now });
    this.active.delete(rec.id);
    if (p.retryAt !== undefined) {
      rec.state = "delayed";
      rec.runAt = p.retryAt;
      rec.lease = { ...rec.lease!, until: 0 };
      this.delayed.push({ runAt: p.retryAt, id: rec.id });
      this.signal.wakeAll();
    } else {
      rec.state = "failed";
      rec.finishedAt = now;
      this.settle(rec);
    }
  }

  async release(p: ReleaseParams): Promise<void> {
    for (const ref of p.jobs) {
      const rec = this.held(ref, p.workerId);
      if (!rec) continue;
      this.active.delete(rec.id);
      rec.state = "waiting";
      rec.lease = { ...rec.lease!, until: 0 };
      this.pushWaiting(rec, this.seqOf.get(rec.id));
    }
    this.signal.wakeAll();
  }

  async progress(p: ProgressParams): Promise<void> {
    const rec = this.jobs.get(p.id);
    if (rec && rec.state === "active" && rec.lease?.token === p.token) rec.progress = { ...p.progress };
  }

  async waitForWork(p: WaitForWorkParams): Promise<void> {
    if (p.signal.aborted || this.hasReady(p.queues)) return;
    const next = this.delayed.peek();
    const untilDue = next ? Math.max(0, next.runAt - this.clock.now()) : p.maxWaitMs;
    await this.signal.wait(Math.min(p.maxWaitMs, untilDue), p.signal);
  }

  // ---- maintenance -----------------------------------------------------

  async promoteDue(limit: number): Promise<number> {
    return this.promoteDueSync(limit);
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
    const now = this.clock.now();
    const result: RescueResult = { rescued: [], failed: [] };
    for (const id of this.active) {
      if (result.rescued.length + result.failed.length >= p.limit) break;
      const rec = this.jobs.get(id)!;
      if (rec.lease!.until >= now) continue;
      this.active.delete(id);
      rec.stalls += 1;
      if (rec.stalls > p.maxStalls) {
        rec.state = "failed";
        rec.finishedAt = now;
        rec.errors.push({ attempt: rec.attemptsMade + 1, at: now, name: "Stalled", message: STALLED_MESSAGE });
        rec.attemptsMade += 1;
        this.settle(rec);
        result.failed.push(id);
      } else {
        rec.state = "waiting";
        this.pushWaiting(rec, this.seqOf.get(id));
        result.rescued.push(id);
      }
    }
    if (result.rescued.length) this.signal.wakeAll();
    return result;
  }

  async trim(policy: RetentionPolicy): Promise<number> {
    const ids = expiredIds(this.jobs.values(), policy, this.clock.now());
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
    return countsOf(this.jobs.values(), queues, this.paused);
  }

  async retryJob(id: string): Promise<JobRecord> {
    const rec = this.mustGet(id);
    if (rec.state !== "failed" && rec.state !== "cancelled" && rec.state !== "completed") {
      throw new InvalidStateError(`job ${id} is ${rec.state}; only failed, cancelled or completed jobs can be retried`);
    }
    rec.state = "waiting";
    rec.attemptsMade = 0;
    rec.stalls = 0;
    rec.runAt = this.clock.now();
    rec.finishedAt = undefined;
    rec.result = undefined;
    rec.progress = undefined;
    this.seqOf.set(id, this.nextSeq++);
    this.pushWaiting(rec);
    this.signal.wakeAll();
    return copy(rec);
  }

  async cancelJob(id: string): Promise<JobRecord> {
    const rec = this.mustGet(id);
    if (!isLive(rec)) throw new InvalidStateError(`job ${id} is already ${rec.state}; only waiting, delayed or active jobs can be cancelled`);
    rec.state = "cancelled";
    rec.finishedAt = this.clock.now();
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

  async resumeQueue(queue: string): Promise<void> {
    this.paused.delete(queue);
    this.signal.wakeAll();
  }

  // ---- fleet and schedules (fleet.ts) ---------------------------------

  async leaderAcquire(p: LeaderParams): Promise<LeaderInfo | undefined> {
    return this.fleet.leaderAcquire(p);
  }
  async leaderRelease(p: Omit<LeaderParams, "ttlMs">): Promise<void> {
    this.fleet.leaderRelease(p);
  }
  async leaderGet(name: string): Promise<LeaderInfo | undefined> {
    return this.fleet.leaderGet(name);
  }
  async workerHeartbeat(info: WorkerInfo, ttlMs: number): Promise<void> {
    this.fleet.workerHeartbeat(info, ttlMs);
  }
  async workerRemove(id: string): Promise<void> {
    this.fleet.workerRemove(id);
  }
  async listWorkers(): Promise<WorkerInfo[]> {
    return this.fleet.listWorkers();
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

  private pushWaiting(rec: JobRecord, seq = this.seqOf.get(rec.id)!): void {
    let heap = this.waiting.get(rec.queue);
    if (!heap) {
      heap = new MinHeap<Slot>((a, b) => a.priority < b.priority || (a.priority === b.priority && a.seq < b.seq));
      this.waiting.set(rec.queue, heap);
    }
    heap.push({ priority: rec.priority, seq, id: rec.id });
  }

  private promoteDueSync(limit: number): number {
    const now = this.clock.now();
    let moved = 0;
    while (moved < limit && this.delayed.size > 0 && this.delayed.peek()!.runAt <= now) {
      const due = this.delayed.pop()!;
      const rec = this.jobs.get(due.id);
      if (!rec || rec.state !== "delayed" || rec.runAt !== due.runAt) continue;
      rec.state = "waiting";
      this.seqOf.set(rec.id, this.nextSeq++);
      this.pushWaiting(rec);
      moved++;
    }
    if (moved) this.signal.wakeAll();
    return moved;
  }

  private hasReady(queues: string[]): boolean {
    const top = this.delayed.peek();
    if (top && top.runAt <= this.clock.now()) return true;
    return queues.some((q) => !this.paused.has(q) && (this.waiting.get(q)?.size ?? 0) > 0);
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
    this.settle(rec);
    this.jobs.delete(id);
    this.seqOf.delete(id);
  }

  private mustGet(id: string): JobRecord {
    const rec = this.jobs.get(id);
    if (!rec) throw new NotFoundError(`no job with id "${id}"`);
    return rec;
  }
}

function isLive(rec: JobRecord): boolean {
  return rec.state === "waiting" || rec.state === "delayed" || rec.state === "active";
}

function copy(rec: JobRecord): JobRecord {
  return { ...rec, errors: [...rec.errors], lease: rec.lease && { ...rec.lease } };
}
