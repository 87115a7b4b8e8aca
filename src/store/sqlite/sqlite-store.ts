/**
 * The SQLite store: the default, durable backend for one host. Any number of
 * qworker processes may open the same file; SQLite's write lock serialises
 * them and WAL lets readers run alongside.
 *
 * Duties:
 * 1. Match the memory store's semantics (the reference) move for move.
 * 2. Every change is one writer transaction, taken with `BEGIN IMMEDIATE`,
 *    so a claim reads and updates under the write lock and no job is handed
 *    to two workers while its lease is live; batches (enqueue N, reserve up
 *    to max, complete many) never cost more than one transaction.
 * 3. Wake this process's idle workers on every change that makes work.
 *
 * Schema, SQL, row mapping, the connection, idle polling and the fleet
 * tables live in the neighbouring files.
 */

import type { Clock } from "../../core/clock.ts";
import { yieldMacrotask } from "../../core/loop.ts";
import { STALLED_MESSAGE, uniqueTaken } from "../messages.ts";
import { InvalidStateError, StoreUnavailableError } from "../../core/errors.ts";
import {
  type EnqueueResult,
  type JobRecord,
  type JobState,
  type LeaderInfo,
  type NewJob,
  type QueueCounts,
  type ScheduleState,
  type WorkerRecord,
  DEAD_WORKER_KEEP_MS,
  DEFAULT_UNIQUE_TTL_MS,
  JOB_LOG_LINES_KEPT,
  JOB_STATES,
  type JobLogLine,
} from "../../core/types.ts";
import { countsFromRows, type Tally } from "../tally.ts";
import { decodeCursor, encodeCursor } from "../cursor.ts";
import {
  PROMOTE_IN_RESERVE,
  type AppendLogsParams,
  type CancelHeldParams,
  type CompleteParams,
  type FlowStatus,
  type LimitedKey,
  type EnqueueParams,
  type ExtendLeasesParams,
  type FailParams,
  type HeartbeatParams,
  type JobPage,
  type LeaderParams,
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
import { SqliteConnection } from "./connection.ts";
import { acquireLeader, currentLeader, heartbeat, scheduleStates, workerRecords } from "./fleet.ts";
import { AdaptivePoller, acquireLocalWake, releaseLocalWake, type LocalWake } from "./poller.ts";
import { bySlot, toJson, toRecord, toReserved } from "./rows.ts";
import { fairSeq, FlowTx, keysOf, limitsOf, unparkGone } from "./flow.ts";
import type { FlowLimit } from "../../core/flow.ts";
import { completeIn, mustGet, pausedSet, promoteDueIn, type Statements } from "./statements.ts";
import { trimIn } from "./trim.ts";

export interface SqliteStoreOptions {
  /** The database file; its folder is created if missing. */
  path: string;
  /** False for commands that only inspect: a missing file is an error, not a new store. Default true. */
  create?: boolean;
  /** Only times waits (idle polling until a delayed job is due); recorded times come from the caller. */
  clock: Clock;
}


/** Claimed jobs whose queue a store remembers at most (see `claimed`). */
const CLAIMED_KEPT = 100_000;

/** Rows one trim transaction deletes at most. */
const TRIM_BATCH = 5_000;

export class SqliteStore implements Store {
  readonly kind = "sqlite" as const;
  readonly durable = true;

  private conn?: SqliteConnection;
  private local?: LocalWake;
  private poller?: AdaptivePoller;
  private readonly path: string;
  private readonly clock: Clock;
  private readonly create: boolean;
  /**
   * The queue of each job this store claimed and has not seen the outcome
   * of: a completion is then counted without reading the row back. Jobs
   * whose outcome never comes (lost leases) are forgotten wholesale past
   * CLAIMED_KEPT; a completion of a forgotten one reads its queue instead.
   */
  private readonly claimed = new Map<string, string>();
  /** The limits of jobs this store claimed that have any, so a completion gives their slots back without reading the row. */
  private readonly claimedFlow = new Map<string, FlowLimit[]>();

  constructor(opts: SqliteStoreOptions) {
    this.path = opts.path;
    this.clock = opts.clock;
    this.create = opts.create ?? true;
  }

  async open(): Promise<void> {
    if (this.conn) return;
    const conn = new SqliteConnection(this.path, { create: this.create });
    const { st } = conn;
    this.conn = conn;
    this.local = acquireLocalWake(this.path);
    this.poller = new AdaptivePoller(
      {
        isOpen: () => this.conn === conn,
        hasReady: (queues) => this.hasReady(st, queues),
        nextDueAt: () => this.nextWakeAt(st),
        dataVersion: () => st.dataVersion.get()!.data_version,
      },
      this.local,
      this.clock,
    );
  }

  async close(): Promise<void> {
    const { conn, local } = this;
    if (!conn || !local) return;
    this.conn = undefined;
    // Our waiters see the store closed and return; other stores on the file keep their wake-ups.
    local.signal.wakeAll();
    releaseLocalWake(local);
    conn.close();
  }

  async ping(): Promise<void> {
    const conn = this.c("ping");
    conn.read("ping", () => conn.db.query("SELECT 1").get());
  }

  // ---- producing -------------------------------------------------------

  async enqueue({ jobs, now }: EnqueueParams): Promise<EnqueueResult[]> {
    const results = await this.write("enqueue", (st, tally) => {
      let seq = st.getCounter.get("seq")!.value;
      let lastId = st.getCounter.get("jobid")!.value;
      const out: EnqueueResult[] = [];
      // Rows go in one by one, so a later job in the batch dedupes onto an earlier one.
      for (const spec of jobs) {
        if (spec.id && st.jobExists.get(spec.id)) {
          out.push({ id: spec.id, deduplicated: true });
          continue;
        }
        const held = spec.uniqueKey === undefined ? null : st.uniqueHolder.get(spec.name, spec.uniqueKey, now);
        if (held) {
          out.push({ id: held.id, deduplicated: true });
          continue;
        }
        const runAt = spec.runAt ?? now;
        const id = spec.id ?? String(++lastId);
        const state: JobState = runAt > now ? "delayed" : "waiting";
        const uniqueUntil = spec.uniqueKey === undefined ? null : now + (spec.uniqueTtlMs ?? DEFAULT_UNIQUE_TTL_MS);
        const priority = spec.priority ?? 0;
        let place = ++seq;
        if (spec.flow?.group !== undefined && state === "waiting") place = fairSeq(st, spec.queue, priority, spec.flow.group, place);
        const flow = spec.flow ? JSON.stringify(spec.flow) : null;
        const row = [id, spec.name, spec.queue, state, priority, place, toJson(spec.data), spec.maxAttempts, runAt, now, spec.uniqueKey ?? null, uniqueUntil, flow];
        // No change: the id exists after all (an empty-string id skipped the check above).
        const added = st.insertJob.run(...row).changes > 0;
        if (added) tally.add(spec.queue, state);
        out.push({ id, deduplicated: !added });
      }
      st.setCounter.run(seq, "seq");
      st.setCounter.run(lastId, "jobid");
      return out;
    });
    this.wake();
    return results;
  }

  // ---- consuming -------------------------------------------------------

  async reserve(p: ReserveParams): Promise<ReservedJob[]> {
    const { now } = p;
    let promoted = 0;
    const names = p.names && JSON.stringify(p.names);
    const until = now + p.leaseMs;
    if (this.claimed.size > CLAIMED_KEPT) this.claimed.clear();
    if (this.claimedFlow.size > CLAIMED_KEPT) this.claimedFlow.clear();
    const out = await this.write("reserve", (st, tally) => {
      const flow = new FlowTx(st, now);
      if (p.complete?.length && this.claimedFlow.size > 0) flow.prefetch(keysOf(p.complete, this.claimedFlow));
      if (p.complete?.length) completeIn(st, tally, this.claimed, p.workerId, p.complete, now, (id, limits) => flow.give(limits ?? this.claimedFlow.get(id)), this.claimedFlow);
      const gate = st.dueAndWake.get()!;
      promoted = promoteDueIn(st, tally, now, PROMOTE_IN_RESERVE, gate.at);
      if (gate.wake !== null && gate.wake <= now) flow.wakeDue();
      const paused = new Set<string>();
      for (const g of st.pausedOrHeld.all(now)) paused.add(g.queue);
      const claimed: ReservedJob[] = [];
      for (const queue of p.queues) {
        if (claimed.length >= p.max) break;
        if (paused.has(queue)) continue;
        // Again while a claim parked jobs over their limits (their places go to the jobs behind them) or let parked ones back.
        for (let again = true; again && claimed.length < p.max; ) {
          again = false;
          const unparked = flow.unparked;
          const left = p.max - claimed.length;
          const rows = names === undefined ? st.claim.all(now, p.workerId, until, queue, left) : st.claimNamed.all(now, p.workerId, until, queue, names, left);
          if (rows.length === 0) break;
          if (rows.length > 1) rows.sort(bySlot);
          tally.move(queue, "waiting", "active", rows.length);
          // Most claims carry no flow at all: then nothing below parses or reads a key.
          const rowLimits = rows.some((row) => row.flow !== null) ? rows.map((row) => limitsOf(row.flow)) : undefined;
          if (rowLimits) flow.prefetch(rowLimits.flatMap((l) => (l ? l.map((x) => x.key) : [])));
          for (let i = 0; i < rows.length; i++) {
            const row = rows[i];
            const limits = rowLimits?.[i];
            if (limits) {
              if (!flow.tryStart(row.id, queue, row.name, limits)) {
                tally.move(queue, "active", "waiting");
                again = true;
                continue;
              }
              this.claimedFlow.set(row.id, limits);
            }
            claimed.push(toReserved(row, p.workerId, now, until));
            this.claimed.set(row.id, queue);
          }
          if (flow.unparked > unparked) again = true;
        }
      }
      flow.flush();
      for (const [k, n] of flow.throttled) st.throttledAdd.run(k, n);
      return claimed;
    });
    if (promoted) this.wake();
    if (out.length) this.poller?.busy();
    return out;
  }

  async extendLeases(p: ExtendLeasesParams): Promise<string[]> {
    return this.write("extendLeases", (st) => {
      const until = p.now + p.leaseMs;
      return p.jobs.filter((ref) => st.extend.run(until, ref.id, p.workerId, ref.token).changes === 0).map((ref) => ref.id);
    });
  }

  async complete(p: CompleteParams): Promise<void> {
    await this.write("complete", (st, tally) => {
      const flow = new FlowTx(st, p.now);
      flow.prefetch(keysOf(p.jobs, this.claimedFlow));
      completeIn(st, tally, this.claimed, p.workerId, p.jobs, p.now, (id, limits) => flow.give(limits ?? this.claimedFlow.get(id)), this.claimedFlow);
      flow.flush();
    });
  }

  async fail(p: FailParams): Promise<void> {
    const { now } = p;
    this.claimed.delete(p.id);
    this.claimedFlow.delete(p.id);
    const moved = await this.write("fail", (st, tally) => {
      const error = JSON.stringify({ ...p.error, at: now });
      const to = p.retryAt === undefined ? "failed" : "delayed";
      const row = p.retryAt === undefined ? st.failFinal.get(error, now, p.id, p.workerId, p.token) : st.failRetry.get(error, p.retryAt, p.id, p.workerId, p.token);
      if (row) {
        tally.move(row.queue, "active", to);
        this.giveBack(st, row.flow, now);
      }
      return row !== null;
    });
    if (moved && p.retryAt !== undefined) this.wake();
  }

  async cancelHeld(p: CancelHeldParams): Promise<void> {
    this.claimed.delete(p.id);
    this.claimedFlow.delete(p.id);
    await this.write("cancelHeld", (st, tally) => {
      const row = st.cancelHeld.get(p.now, p.id, p.workerId, p.token);
      if (row) {
        tally.move(row.queue, "active", "cancelled");
        this.giveBack(st, row.flow, p.now);
      }
    });
  }

  async release(p: ReleaseParams): Promise<void> {
    for (const ref of p.jobs) this.claimed.delete(ref.id);
    for (const ref of p.jobs) this.claimedFlow.delete(ref.id);
    await this.write("release", (st, tally) => {
      // A shutdown release has no `now`: 0 errs on the safe side (a key looks paused, and a wake finds it free).
      const now = p.pause?.now ?? 0;
      const flow = new FlowTx(st, now);
      for (const ref of p.jobs) {
        const row = st.release.get(ref.id, p.workerId, ref.token);
        if (!row) continue;
        tally.move(row.queue, "active", "waiting");
        const limits = limitsOf(row.flow);
        flow.give(limits);
        if (!p.pause) continue;
        if (limits) flow.pause(limits, now + p.pause.ms);
        else st.hold.run(row.queue, now + p.pause.ms);
      }
      flow.flush();
    });
    this.wake();
  }

  async progress(p: ProgressParams): Promise<void> {
    await this.write("progress", (st) => st.progress.run(JSON.stringify(p.progress), p.id, p.token));
  }

  async appendLogs(p: AppendLogsParams): Promise<void> {
    if (p.lines.length === 0) return;
    await this.write("appendLogs", (st) => {
      const row = st.heldLogs.get(p.id, p.token);
      if (!row) return;
      const kept = [...(row.logs === null ? [] : (JSON.parse(row.logs) as JobLogLine[])), ...p.lines].slice(-(p.keep ?? JOB_LOG_LINES_KEPT));
      st.setLogs.run(JSON.stringify(kept), p.id);
    });
  }

  async waitForWork(p: WaitForWorkParams): Promise<void> {
    const { conn, poller } = this;
    if (!conn || !poller) return;
    try {
      await poller.wait(p);
    } catch (err) {
      throw conn.translate("waitForWork", err);
    }
  }

  // ---- maintenance -----------------------------------------------------

  async promoteDue(p: { limit: number; now: number }): Promise<number> {
    const moved = await this.write("promoteDue", (st, tally) => promoteDueIn(st, tally, p.now, Math.max(0, p.limit)));
    if (moved) this.wake();
    return moved;
  }

  async nextDueAt(): Promise<number | undefined> {
    return this.read("nextDueAt", (st) => st.earliestDue.get()?.at ?? undefined);
  }

  async rescueExpired(p: RescueParams): Promise<RescueResult> {
    const { now } = p;
    const result = await this.write("rescueExpired", (st, tally) => {
      const out: RescueResult = { rescued: [], failed: [] };
      const limit = Math.max(0, p.limit);
      st.workerPrune.run(now - DEAD_WORKER_KEEP_MS);
      // Expired leases first, then the jobs of workers whose heartbeat record lapsed (dead before their leases ran out).
      const expired = st.expired.all(now, limit);
      const rows = expired.length < limit ? [...expired, ...st.deadWorkersActive.all(now, now, limit - expired.length)] : expired;
      st.holdsPrune.run(now);
      // Rate keys stay after their last start until the spacing passes; the periodic rescue forgets them.
      st.flowSweep.run(now, 1_000);
      // The dead worker's slots come back with its jobs.
      const flow = new FlowTx(st, now);
      for (const row of rows) flow.give(limitsOf(row.flow));
      for (const row of rows) {
        if (row.stalls + 1 > p.maxStalls) {
          const error = { attempt: row.attempts_made + 1, at: now, name: "Stalled", message: STALLED_MESSAGE };
          st.rescueToFailed.run(now, JSON.stringify(error), row.id);
          tally.move(row.queue, "active", "failed");
          out.failed.push(row.id);
        } else {
          st.rescueToWaiting.run(row.id);
          tally.move(row.queue, "active", "waiting");
          out.rescued.push(row.id);
        }
      }
      flow.flush();
      return out;
    });
    if (result.rescued.length) this.wake();
    return result;
  }

  async trim({ policy, now }: TrimParams): Promise<number> {
    let removed = 0;
    // Short transactions: a backlog of 300,000 old jobs is trimmed without holding the write lock for seconds.
    for (;;) {
      const n = await this.write("trim", (st, tally) => trimIn(st, tally, policy, now, TRIM_BATCH));
      removed += n;
      if (n < TRIM_BATCH) break;
      await yieldMacrotask();
    }
    if (removed > 0) await this.compact();
    return removed;
  }

  /** Hands the pages retention freed back to the file system, then resets the WAL: the file shrinks, not just empties. */
  private async compact(): Promise<void> {
    // In steps, each its own transaction: the WAL is checkpointed between them and never holds the whole move.
    // A file that could not switch to auto_vacuum frees nothing: stop when a step makes no progress.
    for (let before = Number.POSITIVE_INFINITY; ; ) {
      const left = await this.write("compact", (st) => {
        st.incrementalVacuum.run();
        return st.freePages.get()!.freelist_count;
      });
      if (left === 0 || left >= before) break;
      before = left;
      await yieldMacrotask();
    }
    this.conn?.checkpoint();
  }

  // ---- inspecting and managing -----------------------------------------

  async getJob(id: string): Promise<JobRecord | undefined> {
    return this.read("getJob", (st) => {
      const row = st.getJob.get(id);
      return row ? toRecord(row) : undefined;
    });
  }

  async listJobs(p: ListJobsParams): Promise<JobPage> {
    const after = p.cursor ? decodeCursor(p.cursor) : undefined;
    const conn = this.c("listJobs");
    return conn.read("listJobs", () => {
      const stmt = conn.lists.get({ state: !!p.state, queue: !!p.queue, name: !!p.name, after: !!after });
      const args: (string | number)[] = [];
      if (p.state) args.push(p.state);
      if (p.queue) args.push(p.queue);
      if (p.name) args.push(p.name);
      if (after) args.push(after.createdAt, after.createdAt, after.id.length, after.id.length, after.id);
      // One extra row tells whether there is a next page.
      const rows = stmt.all(...args, Math.max(0, p.limit) + 1);
      const jobs = rows.slice(0, p.limit).map(toRecord);
      const last = jobs[jobs.length - 1];
      return { jobs, nextCursor: rows.length > p.limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : undefined };
    });
  }

  async counts(queues: string[]): Promise<QueueCounts[]> {
    // Kept by every write (tally.ts): a few rows, however many jobs the file holds.
    return this.read("counts", (st) => countsFromRows(queues, pausedSet(st), st.counts.all().map((r) => [r.queue, JOB_STATES.map((s) => r[s])])));
  }

  async retryJob({ id, now }: { id: string; now: number }): Promise<JobRecord> {
    const rec = await this.write("retryJob", (st, tally) => {
      const row = mustGet(st, id);
      if (row.state !== "failed" && row.state !== "cancelled" && row.state !== "completed") {
        throw new InvalidStateError(`job ${id} is ${row.state}; only failed, cancelled or completed jobs can be retried`);
      }
      // Live again, it holds its key again, unless another live job took it meanwhile.
      if (row.unique_key !== null) {
        const holder = st.uniqueHolder.get(row.name, row.unique_key, now);
        if (holder && holder.id !== id) throw uniqueTaken(id, row.unique_key, holder.id);
      }
      // Back of the queue, as a fresh enqueue would be.
      const seq = st.getCounter.get("seq")!.value + 1;
      st.setCounter.run(seq, "seq");
      tally.move(row.queue, row.state, "waiting");
      return toRecord(st.retry.get(now, seq, row.unique_key === null ? null : now + DEFAULT_UNIQUE_TTL_MS, id)!);
    });
    this.wake();
    return rec;
  }

  async retryFailed({ queue, limit, now }: RetryFailedParams): Promise<RetryFailedResult> {
    const out = await this.write("retryFailed", (st, tally) => {
      const result: RetryFailedResult = { retried: [], skipped: [] };
      let seq = st.getCounter.get("seq")!.value;
      for (const row of st.oldestFailed.all(queue, Math.max(0, limit))) {
        if (row.unique_key !== null) {
          const holder = st.uniqueHolder.get(row.name, row.unique_key, now);
          if (holder && holder.id !== row.id) {
            result.skipped.push(row.id);
            continue;
          }
        }
        st.retry.get(now, ++seq, row.unique_key === null ? null : now + DEFAULT_UNIQUE_TTL_MS, row.id);
        tally.move(queue, "failed", "waiting");
        result.retried.push(row.id);
      }
      st.setCounter.run(seq, "seq");
      return result;
    });
    if (out.retried.length) this.wake();
    return out;
  }

  async cancelJob({ id, now }: { id: string; now: number }): Promise<JobRecord> {
    return this.write("cancelJob", (st, tally) => {
      const cur = mustGet(st, id);
      if (cur.parked_on !== null && cur.state === "waiting") unparkGone(st, cur.parked_on, id);
      const row = st.cancel.get(now, id);
      if (!row) throw new InvalidStateError(`job ${id} is already ${cur.state}; only waiting, delayed or active jobs can be cancelled`);
      tally.move(cur.queue, cur.state, "cancelled");
      if (cur.state === "active") this.giveBack(st, cur.flow, now);
      return toRecord(row);
    });
  }

  async removeJob(id: string): Promise<void> {
    await this.write("removeJob", (st, tally) => {
      const parked = st.getJob.get(id);
      if (parked?.parked_on && parked.state === "waiting") unparkGone(st, parked.parked_on, id);
      const gone = st.remove.get(id);
      if (gone) return tally.add(gone.queue, gone.state, -1);
      mustGet(st, id);
      throw new InvalidStateError(`job ${id} is active; cancel it first, then remove it`);
    });
  }

  async pauseQueue(queue: string): Promise<void> {
    await this.write("pauseQueue", (st) => st.pause.run(queue));
  }

  async flowStatus(p: { now: number; limit: number }): Promise<FlowStatus> {
    return this.read("flowStatus", (st) => {
      const limited = st.limitedKeys.all(Math.max(0, p.limit)).map((r): LimitedKey => {
        const k: LimitedKey = { key: r.key, active: r.active, nextAt: r.next_at, waiting: r.parked };
        if (r.max !== null) k.max = r.max;
        const first = st.firstParked.get(r.key);
        if (first) k.waitingSince = first.run_at;
        return k;
      });
      const throttled = st.throttledAll.all().map((r) => {
        const [queue, job] = r.k.split("\u0000");
        return { queue, job, count: r.n };
      });
      return { limited, throttled };
    });
  }

  async resumeQueue(queue: string): Promise<void> {
    await this.write("resumeQueue", (st) => st.resume.run(queue));
    this.wake();
  }

  // ---- fleet -----------------------------------------------------------

  async leaderAcquire(p: LeaderParams): Promise<LeaderInfo | undefined> {
    return this.write("leaderAcquire", (st) => acquireLeader(st, p));
  }

  async leaderRelease(p: { name: string; holder: string }): Promise<void> {
    await this.write("leaderRelease", (st) => st.leaderRelease.run(p.name, p.holder));
  }

  async leaderGet(p: { name: string; now: number }): Promise<LeaderInfo | undefined> {
    return this.read("leaderGet", (st) => currentLeader(st, p.now, p.name));
  }

  async workerHeartbeat(p: HeartbeatParams): Promise<void> {
    await this.write("workerHeartbeat", (st) => heartbeat(st, p));
  }

  async workerRemove(id: string): Promise<void> {
    await this.write("workerRemove", (st) => st.workerDelete.run(id));
  }

  async listWorkers(p: { now: number }): Promise<WorkerRecord[]> {
    return this.read("listWorkers", (st) => workerRecords(st, p.now));
  }

  // ---- schedules -------------------------------------------------------

  async scheduleStates(): Promise<ScheduleState[]> {
    return this.read("scheduleStates", scheduleStates);
  }

  async scheduleRecordSlot(name: string, slot: number, jobId: string): Promise<void> {
    await this.write("scheduleRecordSlot", (st) => st.scheduleSlot.run(name, slot, jobId));
  }

  async scheduleSetPaused(name: string, paused: boolean): Promise<void> {
    await this.write("scheduleSetPaused", (st) => st.schedulePaused.run(name, paused ? 1 : 0));
  }

  // ---- internals -------------------------------------------------------

  /** The open connection, or StoreUnavailableError saying what was attempted. */
  private c(what: string): SqliteConnection {
    if (!this.conn) throw new StoreUnavailableError(`SQLite store at ${this.path} is not open (${what}); call open() first`);
    return this.conn;
  }

  private read<T>(what: string, fn: (st: Statements) => T): T {
    return this.c(what).read(what, fn);
  }

  /** Every change goes through here: one BEGIN IMMEDIATE transaction whose state moves are counted (see connection.ts). */
  private write<T>(what: string, fn: (st: Statements, tally: Tally) => T): Promise<T> {
    return this.c(what).write(what, fn);
  }

  /** The next time something becomes claimable by time alone: a delayed job, a key's wake, a queue's hold. */
  private nextWakeAt(st: Statements): number | undefined {
    const times = [st.earliestDue.get()?.at, st.flowNextWake.get()?.at, st.holdUntil.get(this.clock.now())?.at].filter((t): t is number => typeof t === "number");
    return times.length ? Math.min(...times) : undefined;
  }

  /** As the memory store: any due delayed job (reserve promotes it), or waiting work in an unpaused queue asked for. */
  private hasReady(st: Statements, queues: string[]): boolean {
    if (st.hasDue.get(this.clock.now())!.x) return true;
    const ready = queues.filter((q) => st.hasWaiting.get(q)!.x);
    if (ready.length === 0) return false;
    const paused = pausedSet(st);
    for (const { queue } of st.heldQueues.all(this.clock.now())) paused.add(queue);
    return ready.some((q) => !paused.has(q));
  }

  /** A job left `active` in a transaction of its own: its slots come back. */
  private giveBack(st: Statements, flowText: string | null, now: number): void {
    const limits = limitsOf(flowText);
    if (!limits) return;
    const flow = new FlowTx(st, now);
    flow.give(limits);
    flow.flush();
  }

  private wake(): void {
    if (this.conn) this.local?.wake();
  }
}
