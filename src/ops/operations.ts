/**
 * Everything a user can ask of qworker, whatever the edge: the CLI, the
 * admin HTTP API, the dashboard and the client all speak this one
 * interface. Two implementations: `LocalOperations` over a store (with the
 * job modules, or without them for a client going straight to a store),
 * and `HttpOperations` over a running server's admin API, whose replies it
 * checks against the shapes in wire.ts. The admin routes are a thin shell
 * over a LocalOperations, so HTTP and local answers have one shape.
 */

import type { FlowStatus } from "../store/store.ts";
import type { EnqueueResult, JobRecord, JobState, LeaderInfo, QueueCounts, WorkerRecord } from "../core/types.ts";
import type { FleetThroughput } from "../stats/throughput.ts";
import type { JobPage, ListJobsParams } from "../store/store.ts";

export interface ScheduleInfo {
  name: string;
  job: string;
  cron: string;
  timezone: string;
  enabled: boolean;
  paused: boolean;
  overlap: "skip" | "allow";
  catchUpMs: number;
  /** Epoch ms of the next slot (a past one when it is due and not yet enqueued); none while disabled or paused. */
  nextRun?: number;
  lastSlot?: number;
  lastJobId?: string;
  /** State of the last job, if it still exists. */
  lastOutcome?: JobState;
}

export interface ScheduleListing {
  schedules: ScheduleInfo[];
  leader?: LeaderInfo;
}

/** A worker as `status` shows it: its record (its raw counts summed into StatusReport.throughput), and whether its heartbeat is current. */
export type WorkerView = Omit<WorkerRecord, "throughput"> & { alive: boolean };

export interface StatusReport {
  store: { backend: string; durable: boolean };
  queues: QueueCounts[];
  workers: WorkerView[];
  leader?: LeaderInfo;
  /** Tries finished per queue and minute over the last hour, summed over the workers' records. */
  throughput: FleetThroughput;
  /** Flow control: keys holding jobs back, and how often claims found a job over a limit (issue 20). */
  flow?: FlowStatus;
}

/** A loaded job as the dashboard's enqueue form needs it. */
export interface JobTypeInfo {
  name: string;
  queue: string;
  attempts: number;
  priority: number;
  timeoutMs: number;
  /** The job's own cron expression, if it has one. */
  cron?: string;
  unique: boolean;
  /** JSON Schema (draft 2020-12, from zod) of the payload it accepts; absent when it takes any payload. */
  schema?: Record<string, unknown>;
}

export interface RetryFailedReport {
  queue: string;
  /** Jobs moved back to waiting. */
  retried: number;
  /** Failed jobs left as they are: another live job holds their unique key. */
  skipped: number;
}

export interface Operations {
  /**
   * Validates every request first (shape, job, schema, bounds) and only then
   * stores them in one batch, so one bad item stores nothing. Errors carry
   * `issues` with the failing item's `index`.
   */
  enqueue(requests: unknown[]): Promise<EnqueueResult[]>;
  /** NotFoundError for an unknown id. */
  getJob(id: string): Promise<JobRecord>;
  listJobs(params: ListJobsParams): Promise<JobPage>;
  retryJob(id: string): Promise<JobRecord>;
  cancelJob(id: string): Promise<JobRecord>;
  removeJob(id: string): Promise<void>;

  /** Counts per state and the paused flag of every configured queue (and any other queue that has jobs). */
  queues(): Promise<QueueCounts[]>;
  pauseQueue(queue: string): Promise<void>;
  resumeQueue(queue: string): Promise<void>;
  /** Every failed job of the queue back to waiting, oldest failure first (the dead-letter set replayed). */
  retryFailed(queue: string): Promise<RetryFailedReport>;

  /** Live workers, and for a while the ones whose heartbeat lapsed (`alive: false`). */
  workers(): Promise<WorkerView[]>;
  schedules(): Promise<ScheduleListing>;
  pauseSchedule(name: string): Promise<void>;
  resumeSchedule(name: string): Promise<void>;
  /** Enqueues the schedule's job now, with its payload, as a job of its own (not a slot: the next slot still runs). */
  triggerSchedule(name: string): Promise<EnqueueResult>;

  status(): Promise<StatusReport>;
  /** The loaded jobs with their payload schema as JSON Schema (empty without the job modules). */
  jobTypes(): Promise<JobTypeInfo[]>;
  close(): Promise<void>;
}
