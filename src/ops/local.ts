/**
 * The Operations over a store in this process: what the admin API serves,
 * what the CLI runs for SQLite and Redis, and what the client runs when it
 * is handed a store or a Redis URL. With the registry, enqueues are checked
 * against the job modules and config; without it (a client straight to a
 * store) only their shape is, and the worker checks the payload.
 */

import type { Clock } from "../core/clock.ts";
import { NotFoundError, QworkerError, UsageError } from "../core/errors.ts";
import { SCHEDULER_LEASE, type EnqueueResult, type JobRecord, type NewJob, type QueueCounts } from "../core/types.ts";
import { buildNewJob, buildOpenNewJob, parseEnqueueRequest } from "../registry/enqueue-request.ts";
import type { Registry } from "../registry/registry.ts";
import type { JobPage, ListJobsParams, Store } from "../store/store.ts";
import type { Operations, ScheduleListing, StatusReport, WorkerView } from "./operations.ts";
import { listSchedules } from "./schedule-listing.ts";

export interface LocalOperationsParams {
  store: Store;
  clock: Clock;
  /** The job modules, queues and schedules; without it, enqueues are checked for shape only. */
  registry?: Registry;
  /** Close the store in close(): true when these operations opened it. */
  ownsStore?: boolean;
}

export class LocalOperations implements Operations {
  readonly store: Store;
  readonly registry?: Registry;
  private readonly clock: Clock;
  private readonly ownsStore: boolean;

  constructor(p: LocalOperationsParams) {
    this.store = p.store;
    this.clock = p.clock;
    this.registry = p.registry;
    this.ownsStore = p.ownsStore ?? false;
  }

  async enqueue(requests: unknown[]): Promise<EnqueueResult[]> {
    const now = this.clock.now();
    return this.store.enqueue({ jobs: newJobsOf(requests, this.registry, now), now });
  }

  async getJob(id: string): Promise<JobRecord> {
    const job = await this.store.getJob(id);
    if (!job) throw new NotFoundError(`no job with id "${id}"`);
    return job;
  }

  listJobs(params: ListJobsParams): Promise<JobPage> {
    return this.store.listJobs(params);
  }

  retryJob(id: string): Promise<JobRecord> {
    return this.store.retryJob({ id, now: this.clock.now() });
  }

  cancelJob(id: string): Promise<JobRecord> {
    return this.store.cancelJob({ id, now: this.clock.now() });
  }

  removeJob(id: string): Promise<void> {
    return this.store.removeJob(id);
  }

  queues(): Promise<QueueCounts[]> {
    return this.store.counts(this.registry?.queues ?? []);
  }

  async pauseQueue(queue: string): Promise<void> {
    this.assertQueue(queue);
    await this.store.pauseQueue(queue);
  }

  async resumeQueue(queue: string): Promise<void> {
    this.assertQueue(queue);
    await this.store.resumeQueue(queue);
  }

  async workers(): Promise<WorkerView[]> {
    const now = this.clock.now();
    return (await this.store.listWorkers({ now })).map((w) => ({ ...w, alive: w.expiresAt > now }));
  }

  async schedules(): Promise<ScheduleListing> {
    const now = this.clock.now();
    const [schedules, leader] = await Promise.all([
      listSchedules(this.registry?.schedules ?? [], this.store, now),
      this.store.leaderGet({ name: SCHEDULER_LEASE, now }),
    ]);
    return leader ? { schedules, leader } : { schedules };
  }

  async pauseSchedule(name: string): Promise<void> {
    this.assertSchedule(name);
    await this.store.scheduleSetPaused(name, true);
  }

  /** Enqueues again from the next slot on; slots missed while paused do not run. */
  async resumeSchedule(name: string): Promise<void> {
    this.assertSchedule(name);
    await this.store.scheduleSetPaused(name, false);
  }

  async status(): Promise<StatusReport> {
    const now = this.clock.now();
    const [queues, workers, leader] = await Promise.all([this.queues(), this.workers(), this.store.leaderGet({ name: SCHEDULER_LEASE, now })]);
    const report: StatusReport = { store: { backend: this.store.kind, durable: this.store.durable }, queues, workers };
    if (leader) report.leader = leader;
    return report;
  }

  async close(): Promise<void> {
    if (this.ownsStore) await this.store.close();
  }

  private assertQueue(queue: string): void {
    const queues = this.registry?.queues;
    if (queues && !queues.includes(queue)) {
      throw new NotFoundError(`no queue named "${queue}"; configured queues: ${queues.join(", ")}`);
    }
  }

  private assertSchedule(name: string): void {
    const schedules = this.registry?.schedules ?? [];
    if (schedules.some((s) => s.name === name)) return;
    const known = schedules.map((s) => s.name);
    throw new NotFoundError(
      `no schedule named "${name}"; schedules: ${known.length ? known.join(", ") : "(none: add `cron` to a job or `schedules` to the config)"}`,
    );
  }
}

/**
 * Validates enqueue requests and builds the store's NewJobs: against the
 * job modules with a registry, for shape only without (also the client's
 * transactional enqueue, which stores them through the app's transaction).
 */
export function newJobsOf(requests: unknown[], registry: Registry | undefined, now: number): NewJob[] {
  if (requests.length === 0) throw new UsageError("nothing to enqueue: the list is empty");
  const batch = requests.length > 1;
  return requests.map((raw, i) => {
    try {
      const req = parseEnqueueRequest(raw);
      return registry ? buildNewJob(registry, req, now) : buildOpenNewJob(req, now);
    } catch (err) {
      throw batch ? atItem(err, i) : err;
    }
  });
}

/** The same error, about item `index` of a batch: the message says so and every issue carries the index. */
function atItem(err: unknown, index: number): unknown {
  if (!(err instanceof QworkerError)) return err;
  const message = err.message;
  err.issues = (err.issues ?? [{ message }]).map((i) => ({ ...i, index }));
  err.message = `item ${index}: ${message}`;
  return err;
}
