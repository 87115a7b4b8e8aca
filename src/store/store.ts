/**
 * The one Store interface. It speaks queue operations (reserve, complete,
 * extendLeases, rescueExpired), never storage commands, so the worker pool,
 * scheduler, admin API and CLI run unchanged over memory, SQLite and Redis.
 * Every implementation lives in its own folder and passes
 * `test/contract/store-contract.ts`.
 *
 * Rules every implementation keeps:
 * - Every time a store records or compares comes from the caller (`now` in
 *   the params), read once per operation; a store never reads a clock for
 *   that. The clock a store is built with only times its waits
 *   (`waitForWork`).
 * - Each method is atomic: a crash mid-call leaves the job in its old state
 *   or its new one, never between.
 * - Operations that take a lease (`token`) are no-ops for a caller that no
 *   longer holds it (the job was rescued, cancelled or re-reserved): a slow
 *   worker can never overwrite the run that replaced its own.
 */

import type {
  EnqueueResult,
  JobErrorRecord,
  JobLogLine,
  JobProgress,
  JobRecord,
  JobState,
  LeaderInfo,
  NewJob,
  QueueCounts,
  ScheduleState,
  WorkerInfo,
  WorkerRecord,
} from "../core/types.ts";

export type StoreKind = "memory" | "sqlite" | "redis" | "postgres";

/** Due delayed jobs that one `reserve` promotes first, in every store; the scheduler's promoter moves the rest. */
export const PROMOTE_IN_RESERVE = 1_000;

export interface EnqueueParams {
  jobs: NewJob[];
  /** createdAt of every job; a job whose runAt is later starts `delayed`. */
  now: number;
}

export interface ReserveParams {
  /** In strict priority order: all of queues[0] before any of queues[1]. */
  queues: string[];
  workerId: string;
  max: number;
  leaseMs: number;
  now: number;
  /** Only jobs with these names (the ones this worker has loaded); undefined takes any. Others wait for a worker that has them. */
  names?: string[];
  /** Completions to record first, in the same transaction or script: one round trip settles the last batch and claims the next. */
  complete?: CompletedJob[];
}

/** A job in hand: the record as reserved (state active, lease set, attempt known). */
export type ReservedJob = JobRecord & { lease: NonNullable<JobRecord["lease"]> };

export interface LeaseRef {
  id: string;
  /** `lease.token` from the reservation. */
  token: number;
}

export interface CompletedJob extends LeaseRef {
  result?: unknown;
}

export interface ExtendLeasesParams {
  workerId: string;
  jobs: LeaseRef[];
  leaseMs: number;
  now: number;
}

export interface CompleteParams {
  workerId: string;
  jobs: CompletedJob[];
  now: number;
}

export interface FailParams extends LeaseRef {
  workerId: string;
  error: Omit<JobErrorRecord, "at">;
  /** Epoch ms of the next try (job goes `delayed`); undefined: no more tries, job goes `failed`. */
  retryAt?: number;
  now: number;
}

/** The job gave up on purpose (threw Cancelled) while this worker held it. */
export interface CancelHeldParams extends LeaseRef {
  workerId: string;
  now: number;
}

export interface ReleaseParams {
  workerId: string;
  /** Back to `waiting` without spending an attempt (graceful shutdown). */
  jobs: LeaseRef[];
  /**
   * ctx.rateLimited: also pause each job's flow keys (src/core/flow.ts), or
   * its queue when it has none, until now + ms: no job carrying them starts before.
   */
  pause?: { ms: number; now: number };
}

export interface ProgressParams extends LeaseRef {
  progress: JobProgress;
}

export interface AppendLogsParams extends LeaseRef {
  lines: JobLogLine[];
  /** Lines kept on the job, the last ones (limits.jobLogLines; default JOB_LOG_LINES_KEPT). */
  keep?: number;
}

export interface RescueParams {
  maxStalls: number;
  limit: number;
  now: number;
}

export interface RescueResult {
  /** Back to waiting, stall counted. */
  rescued: string[];
  /** Past maxStalls: now failed with "stalled too many times". */
  failed: string[];
}

export interface ListJobsParams {
  state?: JobState;
  queue?: string;
  name?: string;
  /** Opaque, from a previous page's `nextCursor`. */
  cursor?: string;
  limit: number;
}

export interface RetryFailedParams {
  queue: string;
  /** Jobs examined in this call (retried or skipped). */
  limit: number;
  now: number;
}

export interface RetryFailedResult {
  /** Back to waiting, in the order they failed, as retryJob leaves each. */
  retried: string[];
  /** Still failed: another live job holds their unique key (retryJob would refuse them too). */
  skipped: string[];
}

export interface JobPage {
  jobs: JobRecord[];
  nextCursor?: string;
}

/**
 * What `trim` deletes: a finished job is removed when it finished more than
 * maxAgeMs ago, or is beyond the newest maxCount of its queue and state
 * (by `finishedAt`). `completed` jobs use the completed limits; `failed` and
 * `cancelled` jobs both use the failed limits, each state counted on its own
 * (a queue keeps up to failedMaxCount failed and failedMaxCount cancelled).
 */
export interface RetentionPolicy {
  completedMaxAgeMs: number;
  completedMaxCount: number;
  failedMaxAgeMs: number;
  failedMaxCount: number;
}

export interface TrimParams {
  policy: RetentionPolicy;
  now: number;
}

export interface LeaderParams {
  /** Which lease ("scheduler"). */
  name: string;
  holder: string;
  ttlMs: number;
  now: number;
}

export interface HeartbeatParams {
  info: WorkerInfo;
  /** The record lapses (the worker counts as dead) this long after `now` without another heartbeat. */
  ttlMs: number;
  now: number;
}

export interface WaitForWorkParams {
  queues: string[];
  signal: AbortSignal;
  /** Upper bound; the store may return earlier (enqueue, due delayed job). */
  maxWaitMs: number;
}

/** A flow key holding jobs back (core/flow.ts): they wait, parked, until it frees up. */
export interface LimitedKey {
  key: string;
  /** Jobs holding a concurrency slot of the key. */
  active: number;
  /** The key's concurrency bound, if it has one. */
  max?: number;
  /** Epoch ms before which no job of the key starts (rate spacing, ctx.rateLimited); 0: none. */
  nextAt: number;
  /** Jobs waiting for the key. */
  waiting: number;
  /** Epoch ms since which the first of them has been due (its runAt). */
  waitingSince?: number;
}

export interface FlowStatus {
  /** Keys holding jobs back now, most waiting first, at most `limit`. */
  limited: LimitedKey[];
  /** How many times a claim found a job over a limit, per queue and job, since the store was made. */
  throttled: { queue: string; job: string; count: number }[];
}

export interface Store {
  readonly kind: StoreKind;
  /** False for memory: everything is lost on exit. */
  readonly durable: boolean;

  /** Connect / create schema. Throws StoreUnavailableError when unreachable. */
  open(): Promise<void>;
  close(): Promise<void>;
  /** Cheap reachability check for /health; throws StoreUnavailableError. */
  ping(): Promise<void>;
  /** Warnings about the backing server's settings that risk jobs (e.g. Redis eviction); logged at start. */
  checkServerConfig?(): Promise<string[]>;

  // ---- producing -------------------------------------------------------
  /** All or nothing: either every job is stored (or deduplicated) or none is. */
  enqueue(params: EnqueueParams): Promise<EnqueueResult[]>;

  // ---- consuming -------------------------------------------------------
  /**
   * Records `complete` (if any), promotes up to PROMOTE_IN_RESERVE due
   * delayed jobs, then claims up to `max` waiting jobs. Skips paused queues
   * and, with `names`, jobs this worker has not loaded.
   */
  reserve(params: ReserveParams): Promise<ReservedJob[]>;
  /** Renews leases; returns the ids the worker no longer holds (cancelled, rescued) so it can abort them. */
  extendLeases(params: ExtendLeasesParams): Promise<string[]>;
  complete(params: CompleteParams): Promise<void>;
  fail(params: FailParams): Promise<void>;
  /** Fenced: the job ends `cancelled` only if this worker still holds it. */
  cancelHeld(params: CancelHeldParams): Promise<void>;
  release(params: ReleaseParams): Promise<void>;
  progress(params: ProgressParams): Promise<void>;
  /** Appends to the job's log while its lease holds, keeping the last `keep` lines. */
  appendLogs(params: AppendLogsParams): Promise<void>;
  /**
   * Resolves when work may be available, on abort, or after maxWaitMs.
   * Never busy-polls, and never rejects: while the store is unreachable it
   * waits a short pause and resolves, so the caller's next call reports it.
   */
  waitForWork(params: WaitForWorkParams): Promise<void>;

  // ---- maintenance (scheduler role) ------------------------------------
  /** Moves up to `limit` due delayed jobs to waiting; returns how many moved. */
  promoteDue(params: { limit: number; now: number }): Promise<number>;
  /** Epoch ms of the earliest delayed job, if any (lets the promoter sleep exactly). */
  nextDueAt(): Promise<number | undefined>;
  /**
   * Puts back active jobs whose lease ran out, or whose worker's heartbeat
   * record has lapsed (a dead worker is noticed in seconds, not a lease).
   * Past maxStalls a job fails with "stalled too many times".
   */
  rescueExpired(params: RescueParams): Promise<RescueResult>;
  /** Deletes completed, failed and cancelled jobs past the policy; returns how many were removed. */
  trim(params: TrimParams): Promise<number>;

  // ---- inspecting and managing -----------------------------------------
  getJob(id: string): Promise<JobRecord | undefined>;
  listJobs(params: ListJobsParams): Promise<JobPage>;
  /**
   * One entry per queue that has jobs or is named in `queues` (named ones
   * first, in their order). Costs the same at any number of jobs: a store
   * keeps the counts as jobs change state, in the same transaction or
   * script as the change (memory and SQLite: tally.ts), never by a scan.
   */
  counts(queues: string[]): Promise<QueueCounts[]>;
  /** failed/cancelled/completed → waiting with attempts reset. NotFoundError / InvalidStateError. */
  retryJob(params: { id: string; now: number }): Promise<JobRecord>;
  /**
   * Retries up to `limit` failed jobs of one queue, oldest failure first
   * (by finishedAt), each exactly as retryJob would, in one atomic step per
   * call. Skipped jobs stay failed at the head, so a caller looping until
   * `retried` is empty always makes progress while fewer than `limit` are
   * skipped. Uses the per-queue finished-job index retention already keeps:
   * no scan of the whole store.
   */
  retryFailed(params: RetryFailedParams): Promise<RetryFailedResult>;
  /** waiting/delayed → cancelled at once; active → cancelled, its worker aborts it at the next lease renewal. */
  cancelJob(params: { id: string; now: number }): Promise<JobRecord>;
  /** Deletes a job that is not active. */
  removeJob(id: string): Promise<void>;
  pauseQueue(queue: string): Promise<void>;
  /** Flow control at a glance (status, dashboard, metrics): bounded by `limit` keys. */
  flowStatus(params: { now: number; limit: number }): Promise<FlowStatus>;
  resumeQueue(queue: string): Promise<void>;

  // ---- fleet -----------------------------------------------------------
  /** Acquires the named lease or renews it if `holder` has it. Returns it, or undefined when another holds it. */
  leaderAcquire(params: LeaderParams): Promise<LeaderInfo | undefined>;
  leaderRelease(params: { name: string; holder: string }): Promise<void>;
  leaderGet(params: { name: string; now: number }): Promise<LeaderInfo | undefined>;
  workerHeartbeat(params: HeartbeatParams): Promise<void>;
  /** A worker that stops gracefully removes its record. */
  workerRemove(id: string): Promise<void>;
  /**
   * Workers with a record: live ones (`expiresAt > now`) and, for a while,
   * dead ones, so `status` can show a killed worker until it is forgotten.
   */
  listWorkers(params: { now: number }): Promise<WorkerRecord[]>;

  // ---- schedules -------------------------------------------------------
  scheduleStates(): Promise<ScheduleState[]>;
  /** Records an enqueued slot, only moving `lastSlot` forward. */
  scheduleRecordSlot(name: string, slot: number, jobId: string): Promise<void>;
  scheduleSetPaused(name: string, paused: boolean): Promise<void>;
}
