/**
 * The Operations over a store in this process: what the admin API serves,
 * what the CLI runs for SQLite and Redis, and what the client runs when it
 * is handed a store or a Redis URL. With the registry, enqueues are checked
 * against the job modules and config; without it (a client straight to a
 * store) only their shape is, and the worker checks the payload.
 */

import { DEFAULT_LIMITS, type Limits } from "../core/limits.ts";
import type { Clock } from "../core/clock.ts";
import { NotFoundError, QworkerError, UsageError } from "../core/errors.ts";
import { SCHEDULER_LEASE, type EnqueueResult, type JobRecord, type NewJob, type QueueCounts } from "../core/types.ts";
import { buildNewJob, buildOpenNewJob, parseEnqueueRequest } from "../registry/enqueue-request.ts";
import type { Registry } from "../registry/registry.ts";
import type { Schedule } from "../registry/schedules.ts";
import { fleetThroughput } from "../stats/throughput.ts";
import type { JobPage, ListJobsParams, Store } from "../store/store.ts";
import { describeJobTypes } from "./job-types.ts";
import type { JobTypeInfo, Operations, RetryFailedReport, ScheduleListing, StatusReport, WorkerView } from "./operations.ts";

/** Failed jobs retried per store call by retryFailed, and the most one call goes through. */
const RETRY_BATCH = 1_000;
const RETRY_MAX = 1_000_000;

/** Flow keys a status report lists at most (the busiest first). */
export const FLOW_KEYS_SHOWN = 20;

export interface LocalOperationsParams {
  store: Store;
  clock: Clock;
  /** The job modules, queues and schedules; without it, enqueues are checked for shape only. */
  registry?: Registry;
  /** Close the store in close(): true when these operations opened it. */
  ownsStore?: boolean;
  /** Told of every job stored by enqueue (not the deduplicated ones): the metrics count them. */
  onEnqueued?: (job: { name: string; queue: string }) => void;
  /** Payload size and jobs per enqueue (config `limits`; default DEFAULT_LIMITS). */
  limits?: Limits;
}

export class LocalOperations implements Operations {
  readonly store: Store;
  private registry?: Registry;
  private readonly clock: Clock;
  private readonly ownsStore: boolean;
  private readonly onEnqueued?: LocalOperationsParams["onEnqueued"];
  private readonly limits: Limits;
  private jobTypesCache: JobTypeInfo[] | undefined;

  constructor(p: LocalOperationsParams) {
    this.store = p.store;
    this.clock = p.clock;
    this.registry = p.registry;
    this.ownsStore = p.ownsStore ?? false;
    this.onEnqueued = p.onEnqueued;
    this.limits = p.limits ?? DEFAULT_LIMITS;
  }

  /** After a reload: enqueues are checked against the new job modules, and schedules come from the new catalogue. */
  useRegistry(registry: Registry): void {
    this.registry = registry;
    this.jobTypesCache = undefined;
  }

  async enqueue(requests: unknown[]): Promise<EnqueueResult[]> {
    const now = this.clock.now();
    const jobs = newJobsOf(requests, this.registry, now, this.limits);
    const results = await this.store.enqueue({ jobs, now });
    if (this.onEnqueued) results.forEach((r, i) => r.deduplicated || this.onEnqueued!(jobs[i]));
    return results;
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

  async retryFailed(queue: string): Promise<RetryFailedReport> {
    this.assertQueue(queue);
    const report: RetryFailedReport = { queue, retried: 0, skipped: 0 };
    while (report.retried < RETRY_MAX) {
      const r = await this.store.retryFailed({ queue, limit: RETRY_BATCH, now: this.clock.now() });
      report.retried += r.retried.length;
      report.skipped = r.skipped.length;
      // Skipped jobs stay at the head of the failed set: stop once a batch moves nothing or was not full.
      if (r.retried.length === 0 || r.retried.length + r.skipped.length < RETRY_BATCH) break;
    }
    return report;
  }

  async workers(): Promise<WorkerView[]> {
    const now = this.clock.now();
    return (await this.store.listWorkers({ now })).map(({ throughput: _, ...w }) => ({ ...w, alive: w.expiresAt > now }));
  }

  async schedules(): Promise<ScheduleListing> {
    const now = this.clock.now();
    // Loaded when first asked: the client package (which never lists schedules) then carries no cron parser.
    const { listSchedules } = await import("./schedule-listing.ts");
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

  async triggerSchedule(name: string): Promise<EnqueueResult> {
    const schedule = this.assertSchedule(name);
    const [result] = await this.enqueue([{ name: schedule.job.name, data: schedule.payload }]);
    return result;
  }

  async status(): Promise<StatusReport> {
    const now = this.clock.now();
    const [queues, records, leader, flow] = await Promise.all([
      this.queues(),
      this.store.listWorkers({ now }),
      this.store.leaderGet({ name: SCHEDULER_LEASE, now }),
      this.store.flowStatus({ now, limit: FLOW_KEYS_SHOWN }),
    ]);
    const workers = records.map(({ throughput: _, ...w }) => ({ ...w, alive: w.expiresAt > now }));
    const report: StatusReport = { store: { backend: this.store.kind, durable: this.store.durable }, queues, workers, throughput: fleetThroughput(records, now) };
    if (leader) report.leader = leader;
    if (flow.limited.length || flow.throttled.length) report.flow = flow;
    return report;
  }

  async jobTypes(): Promise<JobTypeInfo[]> {
    this.jobTypesCache ??= this.registry ? describeJobTypes(this.registry) : [];
    return this.jobTypesCache;
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

  private assertSchedule(name: string): Schedule {
    const schedules = this.registry?.schedules ?? [];
    const found = schedules.find((s) => s.name === name);
    if (found) return found;
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
export function newJobsOf(requests: unknown[], registry: Registry | undefined, now: number, limits: Limits = DEFAULT_LIMITS): NewJob[] {
  if (requests.length === 0) throw new UsageError("nothing to enqueue: the list is empty");
  const max = limits.maxBulkJobs;
  if (requests.length > max) {
    throw new UsageError(`${requests.length} jobs in one enqueue; at most ${max} (limits.maxBulkJobs): send them in batches, or raise the limit`);
  }
  const batch = requests.length > 1;
  return requests.map((raw, i) => {
    try {
      const req = parseEnqueueRequest(raw);
      return registry ? buildNewJob(registry, req, now, limits) : buildOpenNewJob(req, now, limits);
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
