/**
 * What a user can ask of qworker, whatever the edge (CLI, HTTP API,
 * client): enqueue (validated against the job's schema, all-or-nothing for
 * batches), inspect and manage jobs, queues and schedules. The CLI and the
 * admin routes are thin shells over this, so both behave the same.
 */

import type { Clock } from "../core/clock.ts";
import { NotFoundError, UsageError } from "../core/errors.ts";
import type { EnqueueResult, JobRecord, LeaderInfo, QueueCounts, WorkerInfo } from "../core/types.ts";
import type { Registry } from "../registry/registry.ts";
import { buildNewJob, httpLabel, parseEnqueueRequest, type FieldLabel } from "../registry/enqueue-request.ts";
import type { JobPage, ListJobsParams, Store } from "../store/store.ts";

export const SCHEDULER_LEASE = "scheduler";

export interface StatusReport {
  store: { backend: string; durable: boolean };
  queues: QueueCounts[];
  workers: WorkerInfo[];
  leader?: LeaderInfo;
}

export class Operations {
  constructor(
    readonly store: Store,
    readonly registry: Registry,
    private readonly clock: Clock,
  ) {}

  /**
   * Validates every request first (shape, job name, schema, timing) and only
   * then stores them in one batch, so a bad item stores nothing. Errors in a
   * batch name the item's index.
   */
  async enqueue(requests: unknown[], label: FieldLabel = httpLabel): Promise<EnqueueResult[]> {
    const now = this.clock.now();
    const batch = requests.length > 1;
    const jobs = requests.map((raw, i) => {
      const itemLabel: FieldLabel = batch ? (f) => `[${i}].${label(f)}` : label;
      try {
        return buildNewJob(this.registry, parseEnqueueRequest(raw, itemLabel), now, itemLabel);
      } catch (err) {
        if (batch && err instanceof Error) err.message = `item ${i}: ${err.message}`;
        throw err;
      }
    });
    if (jobs.length === 0) throw new UsageError("nothing to enqueue: the list is empty");
    return this.store.enqueue(jobs);
  }

  async getJob(id: string): Promise<JobRecord> {
    const job = await this.store.getJob(id);
    if (!job) throw new NotFoundError(`no job with id "${id}"`);
    return job;
  }

  listJobs(params: ListJobsParams): Promise<JobPage> {
    return this.store.listJobs(params);
  }

  retry(id: string): Promise<JobRecord> {
    return this.store.retryJob(id);
  }

  cancel(id: string): Promise<JobRecord> {
    return this.store.cancelJob(id);
  }

  remove(id: string): Promise<void> {
    return this.store.removeJob(id);
  }

  async pause(queue: string): Promise<void> {
    this.assertQueue(queue);
    await this.store.pauseQueue(queue);
  }

  async resume(queue: string): Promise<void> {
    this.assertQueue(queue);
    await this.store.resumeQueue(queue);
  }

  /** Counts per state and the paused flag of every configured queue (and any other queue that has jobs). */
  queues(): Promise<QueueCounts[]> {
    return this.store.counts(this.registry.queues);
  }

  /** Live workers (heartbeat within its TTL). */
  workers(): Promise<WorkerInfo[]> {
    return this.store.listWorkers();
  }

  async status(): Promise<StatusReport> {
    const [queues, workers, leader] = await Promise.all([
      this.store.counts(this.registry.queues),
      this.store.listWorkers(),
      this.store.leaderGet(SCHEDULER_LEASE),
    ]);
    return { store: { backend: this.store.kind, durable: this.store.durable }, queues, workers, leader };
  }

  private assertQueue(queue: string): void {
    if (!this.registry.queues.includes(queue)) {
      throw new NotFoundError(`no queue named "${queue}"; configured queues: ${this.registry.queues.join(", ")}`);
    }
  }
}
