/**
 * The one Store interface. It speaks queue operations (reserve, complete,
 * extendLeases, rescueExpired), never storage commands, so the worker pool,
 * scheduler, admin API and CLI run unchanged over memory, SQLite and Redis.
 * Every implementation lives in its own folder and passes
 * `test/contract/store-contract.ts`.
 *
 * Rules every implementation keeps:
 * - Time comes from the injected Clock (`now()`), never from Date.now().
 * - Each method is atomic: a crash mid-call leaves the job in its old state
 *   or its new one, never between.
 * - Operations that take a lease (`token`) are no-ops for a caller that no
 *   longer holds it (the job was rescued, cancelled or re-reserved).
 */

import type {
  EnqueueResult,
  JobErrorRecord,
  JobProgress,
  JobRecord,
  JobState,
  LeaderInfo,
  NewJob,
  QueueCounts,
  ScheduleState,
  WorkerInfo,
} from "../core/types.ts";

export type StoreKind = "memory" | "sqlite" | "redis";

export interface ReserveParams {
  /** In strict priority order: all of queues[0] before any of queues[1]. */
  queues: string[];
  workerId: string;
  max: number;
  leaseMs: number;
}

/** A job in hand: the record as reserved (state active, lease set, attempt known). */
export type ReservedJob = JobRecord & { lease: NonNullable<JobRecord["lease"]> };

export interface LeaseRef {
  id: string;
  /** `lease.token` from the reservation. */
  token: number;
}

export interface ExtendLeasesParams {
  workerId: string;
  jobs: LeaseRef[];
  leaseMs: number;
}

export interface CompleteParams {
  workerId: string;
  jobs: (LeaseRef & { result?: unknown })[];
}

export interface FailParams extends LeaseRef {
  workerId: string;
  error: Omit<JobErrorRecord, "at">;
  /** Epoch ms of the next try (job goes `delayed`); undefined: no more tries, job goes `failed`. */
  retryAt?: number;
}

export interface ReleaseParams {
  workerId: string;
  /** Back to `waiting` without spending an attempt (graceful shutdown). */
  jobs: LeaseRef[];
}

export interface ProgressParams extends LeaseRef {
  progress: JobProgress;
}

export interface RescueParams {
  maxStalls: number;
  limit: number;
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

export interface LeaderParams {
  /** Which lease ("scheduler"). */
  name: string;
  holder: string;
  ttlMs: number;
}

export interface WaitForWorkParams {
  queues: string[];
  signal: AbortSignal;
  /** Upper bound; the store may return earlier (enqueue, due delayed job). */
  maxWaitMs: number;
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
  enqueue(jobs: NewJob[]): Promise<EnqueueResult[]>;

  // ---- consuming -------------------------------------------------------
  /** Claims up to `max` jobs: waiting ones and delayed ones now due. Skips paused queues. */
  reserve(params: ReserveParams): Promise<ReservedJob[]>;
  /** Renews leases; returns the ids the worker no longer holds (cancelled, rescued) so it can abort them. */
  extendLeases(params: ExtendLeasesParams): Promise<string[]>;
  complete(params: CompleteParams): Promise<void>;
  fail(params: FailParams): Promise<void>;
  release(params: ReleaseParams): Promise<void>;
  progress(params: ProgressParams): Promise<void>;
  /** Resolves when work may be available, on abort, or after maxWaitMs. Never busy-polls. */
  waitForWork(params: WaitForWorkParams): Promise<void>;

  // ---- maintenance (scheduler role) ------------------------------------
  /** Moves due delayed jobs to waiting; returns how many moved. */
  promoteDue(limit: number): Promise<number>;
  /** Epoch ms of the earliest delayed job, if any (lets the promoter sleep exactly). */
  nextDueAt(): Promise<number | undefined>;
  rescueExpired(params: RescueParams): Promise<RescueResult>;
  /** Deletes completed, failed and cancelled jobs past the policy; returns how many were removed. */
  trim(policy: RetentionPolicy): Promise<number>;

  // ---- inspecting and managing -----------------------------------------
  getJob(id: string): Promise<JobRecord | undefined>;
  listJobs(params: ListJobsParams): Promise<JobPage>;
  /** One entry per queue that has jobs or is named in `queues`. */
  counts(queues: string[]): Promise<QueueCounts[]>;
  /** failed/cancelled/completed → waiting with attempts reset. NotFoundError / InvalidStateError. */
  retryJob(id: string): Promise<JobRecord>;
  /** waiting/delayed → cancelled at once; active → cancelled, its worker aborts it at the next lease renewal. */
  cancelJob(id: string): Promise<JobRecord>;
  /** Deletes a job that is not active. */
  removeJob(id: string): Promise<void>;
  pauseQueue(queue: string): Promise<void>;
  resumeQueue(queue: string): Promise<void>;

  // ---- fleet -----------------------------------------------------------
  /** Acquires the named lease or renews it if `holder` has it. Returns it, or undefined when another holds it. */
  leaderAcquire(params: LeaderParams): Promise<LeaderInfo | undefined>;
  leaderRelease(params: Omit<LeaderParams, "ttlMs">): Promise<void>;
  leaderGet(name: string): Promise<LeaderInfo | undefined>;
  workerHeartbeat(info: WorkerInfo, ttlMs: number): Promise<void>;
  workerRemove(id: string): Promise<void>;
  /** Live workers only (heartbeat within its TTL). */
  listWorkers(): Promise<WorkerInfo[]>;

  // ---- schedules -------------------------------------------------------
  scheduleStates(): Promise<ScheduleState[]>;
  /** Records an enqueued slot, only moving `lastSlot` forward. */
  scheduleRecordSlot(name: string, slot: number, jobId: string): Promise<void>;
  scheduleSetPaused(name: string, paused: boolean): Promise<void>;
}
