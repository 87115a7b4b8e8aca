/**
 * The job as every part of qworker sees it: the record a store keeps, the
 * request to enqueue one, and the states it moves through. Stores translate
 * these to rows or hashes; nothing outside `src/store/` knows how.
 */

import type { JobFlow } from "./flow.ts";

export const JOB_STATES = ["waiting", "delayed", "active", "completed", "failed", "cancelled"] as const;
export type JobState = (typeof JOB_STATES)[number];

/** States in which a job still counts as "pending or active" (unique keys, overlap). */
export const LIVE_STATES: readonly JobState[] = ["waiting", "delayed", "active"];

export interface JobErrorRecord {
  /** The 1-based attempt that produced this error. */
  attempt: number;
  /** Wall-clock epoch ms. */
  at: number;
  message: string;
  name?: string;
  stack?: string;
}

/** A line a job wrote with `ctx.log`, kept on the job (newest last, the last JOB_LOG_LINES_KEPT). */
export interface JobLogLine {
  /** Epoch ms. */
  at: number;
  /** The attempt (1-based) that wrote it. */
  attempt: number;
  level: "debug" | "info" | "warn" | "error";
  msg: string;
  fields?: Record<string, unknown>;
}

/** Log lines a job keeps: older ones are dropped, so a chatty job cannot grow its record without bound. */
export const JOB_LOG_LINES_KEPT = 200;

export interface JobProgress {
  pct: number;
  msg?: string;
}

/** Who holds an active job, and until when. `token` changes on every reservation. */
export interface JobLease {
  workerId: string;
  token: number;
  until: number;
}

export interface JobRecord {
  id: string;
  name: string;
  queue: string;
  data: unknown;
  state: JobState;
  /** 0 runs first. */
  priority: number;
  /** Tries that ended (failed or completed). `ctx.attempt` is this + 1 while running. */
  attemptsMade: number;
  maxAttempts: number;
  /** Times a lease expired while active (worker lost). */
  stalls: number;
  /** Epoch ms at which a delayed job becomes due; equals createdAt for immediate jobs. */
  runAt: number;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  lease?: JobLease;
  progress?: JobProgress;
  result?: unknown;
  errors: JobErrorRecord[];
  /** What the job wrote with `ctx.log`, across its attempts (cleared by a manual retry). */
  logs?: JobLogLine[];
  uniqueKey?: string;
  /** Flow control (core/flow.ts): limits and group, computed from the payload at enqueue. */
  flow?: JobFlow;
}

export interface NewJob {
  /**
   * Optional explicit id (cron slots use `cron:<name>:<slotMs>`); an existing id is a no-op.
   * Never all digits: those are the ids stores number jobs with.
   */
  id?: string;
  name: string;
  queue: string;
  data: unknown;
  priority?: number;
  maxAttempts: number;
  /** Epoch ms; in the future means the job starts `delayed`. */
  runAt?: number;
  uniqueKey?: string;
  /** How long a unique key holds at most, ms. */
  uniqueTtlMs?: number;
  /** Flow control (core/flow.ts): limits and group, computed from the payload at enqueue. */
  flow?: JobFlow;
}

export interface EnqueueResult {
  id: string;
  /** True when an existing job (same id, or same unique key while live) was returned instead. */
  deduplicated: boolean;
}

export type QueueCounts = Record<JobState, number> & { queue: string; paused: boolean };

export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  role: string;
  queues: string[];
  concurrency: number;
  /** The job names this worker has loaded: it claims only those, and others can tell who can run what. */
  jobs: string[];
  startedAt: number;
  heartbeatAt: number;
  running: string[];
  /** How it runs jobs ("async", "process"): shown by status and the dashboard. */
  mode?: string;
  /** Tries this worker finished per minute over the last hour: rates and sparklines come from here. */
  throughput?: WorkerThroughput;
}

/** How many minutes of per-minute counts a worker keeps and publishes. */
export const THROUGHPUT_MINUTES = 60;

/**
 * Tries a worker finished, per queue and minute, newest minute last. Kept in
 * memory by the worker (an increment per job) and published with each
 * heartbeat, so any reader (the CLI, any API process) sums the fleet's rates
 * from the worker records without a store query per job.
 */
export interface WorkerThroughput {
  /** Epoch ms of the start of the minute the last entry of each array counts. */
  minute: number;
  /** queue → [completed, failed] per minute, oldest first, at most THROUGHPUT_MINUTES entries. */
  queues: Record<string, [number[], number[]]>;
}

/** A worker as the store keeps it: alive while `expiresAt` is ahead; a lapsed record means the worker died. */
export type WorkerRecord = WorkerInfo & { expiresAt: number };

/** How long a lapsed worker record is kept (shown as dead by `status`) before stores forget it. */
export const DEAD_WORKER_KEEP_MS = 10 * 60_000;

/** How long a unique key holds when its job says nothing else (and when a retry takes the key again). */
export const DEFAULT_UNIQUE_TTL_MS = 60 * 60_000;

/** The name of the scheduler's leader lease in every store. */
export const SCHEDULER_LEASE = "scheduler";

export interface LeaderInfo {
  holder: string;
  token: number;
  until: number;
}

export interface ScheduleState {
  name: string;
  /** The newest slot (epoch ms) the scheduler has enqueued. */
  lastSlot?: number;
  lastJobId?: string;
  paused: boolean;
}
