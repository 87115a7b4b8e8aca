/**
 * qworker's metrics for GET /metrics. Two kinds, with different costs:
 *
 * 1. What this process does, counted as it happens (an in-memory
 *    increment per event, never a store call): jobs enqueued through it
 *    (API, ctx.enqueue, cron), tries its worker pool finished (completed,
 *    retried, failed) with their run and wait times, and jobs its
 *    scheduler rescued from dead workers (stalled). Prometheus sums them
 *    over the processes it scrapes.
 * 2. What the store holds (jobs per queue and state, paused queues,
 *    workers, the scheduler leader): the same in every process, read at
 *    scrape time through the shared StatusCache, so several scrapers or a
 *    short scrape interval never read the store more than once per
 *    STORE_MAX_AGE_MS (longer while the store is slow).
 */

import { JOB_STATES } from "../core/types.ts";
import type { StatusCache } from "../ops/status-cache.ts";
import type { SchedulerEvents } from "../scheduler/scheduler.ts";
import type { PoolEvents } from "../worker/pool.ts";
import { Counter, Gauge, Histogram, MetricsRegistry } from "./exposition.ts";

/** A scrape reuses a store read this recent. */
export const STORE_MAX_AGE_MS = 5_000;

/** Seconds: from 5 ms (a no-op job) to 30 minutes (a report). */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800];

const JOB_QUEUE = ["job", "queue"] as const;
/** Rescued jobs looked up by id for their labels, per rescue round; the rest count as "unknown" (a mass rescue must not turn into a read storm). */
const STALL_LOOKUPS = 200;

type On<E> = { on<K extends keyof E>(event: K, fn: (payload: E[K]) => void): unknown };

export class QworkerMetrics {
  private readonly registry = new MetricsRegistry();
  readonly enqueued = this.registry.add(new Counter("qworker_jobs_enqueued_total", "Jobs stored by this process (admin API, ctx.enqueue, cron); deduplicated enqueues not counted", JOB_QUEUE));
  readonly completed = this.registry.add(new Counter("qworker_jobs_completed_total", "Tries this process's workers finished successfully", JOB_QUEUE));
  readonly retried = this.registry.add(new Counter("qworker_jobs_retried_total", "Failed tries this process's workers scheduled to run again (backoff or RetryLater)", JOB_QUEUE));
  readonly failed = this.registry.add(new Counter("qworker_jobs_failed_total", "Jobs that failed for good here: attempts exhausted, Unrecoverable, or stalled too many times", JOB_QUEUE));
  readonly stalled = this.registry.add(new Counter("qworker_jobs_stalled_total", "Jobs this process's scheduler rescued because their worker died or stopped renewing the lease", JOB_QUEUE));
  readonly runSeconds = this.registry.add(new Histogram("qworker_job_run_seconds", "How long a try ran, by its end here (completed, retried or failed)", JOB_QUEUE, DURATION_BUCKETS));
  readonly waitSeconds = this.registry.add(new Histogram("qworker_job_wait_seconds", "How long a job waited from due (runAt) to its start", JOB_QUEUE, DURATION_BUCKETS));
  private readonly jobs = this.registry.add(new Gauge("qworker_jobs", "Jobs in the store per queue and state (read at most every 5 s)", ["queue", "state"]));
  readonly throttled = this.registry.add(
    new Counter("qworker_jobs_throttled_total", "Times a claim found a job over a flow limit and left it waiting (read from the store: the same in every process)", ["queue", "job"]),
  );
  private readonly keysLimited = this.registry.add(new Gauge("qworker_flow_keys_limited", "Flow-control keys holding jobs back now (at their concurrency limit, rate-spaced or paused)", []));
  private readonly paused = this.registry.add(new Gauge("qworker_queue_paused", "1 while the queue is paused", ["queue"]));
  private readonly workers = this.registry.add(new Gauge("qworker_workers", "Worker processes with a heartbeat record: alive, or dead and not yet forgotten", ["state"]));
  private readonly workerSlots = this.registry.add(new Gauge("qworker_worker_running_jobs", "Jobs the live workers are running", []));
  private readonly leader = this.registry.add(new Gauge("qworker_scheduler_leader", "1 for the process holding the scheduler lease", ["holder"]));
  private readonly hasLeader = this.registry.add(new Gauge("qworker_scheduler_has_leader", "1 while some scheduler holds the lease", []));
  private readonly storeUp = this.registry.add(new Gauge("qworker_store_up", "1 when the last store read for these metrics succeeded", []));
  private readonly info = this.registry.add(new Gauge("qworker_info", "Version and commit of this qworker", ["version", "commit"]));
  private readonly startTime = this.registry.add(new Gauge("process_start_time_seconds", "Start time of the process since the Unix epoch in seconds", []));
  private readonly cpu = this.registry.add(new Counter("process_cpu_seconds_total", "User and system CPU time spent in seconds", []));
  private readonly rss = this.registry.add(new Gauge("process_resident_memory_bytes", "Resident memory size in bytes", []));
  private cpuSeen = 0;
  private infoSet = false;

  /** `build` is asked at the first scrape: from source the commit costs a git spawn, which no start should pay for. */
  constructor(private readonly build: () => { version: string; commit: string } = () => ({ version: "unknown", commit: "unknown" })) {
    this.startTime.set([], Math.round((Date.now() - performance.now()) / 1000));
  }

  /** Counts each try the pool finishes: one increment and two observations, no I/O. */
  observePool(events: On<PoolEvents>): void {
    events.on("job:end", (e) => {
      const labels = [e.name, e.queue];
      if (e.outcome === "complete") this.completed.inc(labels);
      else if (e.outcome === "retry") this.retried.inc(labels);
      else if (e.outcome === "fail") this.failed.inc(labels);
      else return; // put back at shutdown, cancelled, or its lease lost: not a finished try
      this.runSeconds.observe(labels, e.durationMs / 1000);
      this.waitSeconds.observe(labels, e.waitMs / 1000);
    });
  }

  /**
   * Cron slots this process's scheduler enqueued (counted as enqueued), and
   * jobs it rescued (stalled; failed too when past maxStalls). A rescue
   * names ids only: the job and queue labels cost one getJob per rescued
   * job, which happens only when a worker died.
   */
  observeScheduler(events: On<SchedulerEvents>, lookup: { schedule(name: string): { name: string; queue: string } | undefined; job(id: string): Promise<{ name: string; queue: string } | undefined> }): void {
    events.on("cron:enqueued", ({ schedule }) => {
      const job = lookup.schedule(schedule);
      if (job) this.enqueued.inc([job.name, job.queue]);
    });
    events.on("rescue:done", ({ rescued, failed }) => {
      if (rescued.length + failed.length === 0) return;
      void this.countStalls(rescued, failed, lookup.job);
    });
  }

  /** One stored enqueue, from Operations (LocalOperations `onEnqueued`). */
  countEnqueued(job: { name: string; queue: string }): void {
    this.enqueued.inc([job.name, job.queue]);
  }

  private async countStalls(rescued: string[], failed: string[], job: (id: string) => Promise<{ name: string; queue: string } | undefined>): Promise<void> {
    const all = [...rescued.map((id) => ({ id, failed: false })), ...failed.map((id) => ({ id, failed: true }))];
    for (let i = 0; i < all.length; i++) {
      const found = i < STALL_LOOKUPS ? await job(all[i].id).catch(() => undefined) : undefined;
      const labels = found ? [found.name, found.queue] : ["unknown", "unknown"];
      this.stalled.inc(labels);
      if (all[i].failed) this.failed.inc(labels);
    }
  }

  /** The exposition text, after refreshing the store gauges from `status` (cached; see above). */
  async render(status?: StatusCache): Promise<string> {
    if (!this.infoSet) {
      const b = this.build();
      this.info.set([b.version, b.commit], 1);
      this.infoSet = true;
    }
    if (status) await this.readStore(status);
    const usage = process.cpuUsage();
    const cpu = (usage.user + usage.system) / 1e6;
    if (cpu > this.cpuSeen) this.cpu.inc([], cpu - this.cpuSeen);
    this.cpuSeen = Math.max(this.cpuSeen, cpu);
    this.rss.set([], process.memoryUsage.rss());
    return this.registry.render();
  }

  private async readStore(cache: StatusCache): Promise<void> {
    let report;
    try {
      report = await cache.get(STORE_MAX_AGE_MS);
    } catch {
      // The counters still render; the store gauges keep their last values and qworker_store_up says why.
      this.storeUp.set([], 0);
      return;
    }
    this.storeUp.set([], 1);
    this.jobs.reset();
    this.paused.reset();
    for (const q of report.queues) {
      for (const state of JOB_STATES) this.jobs.set([q.queue, state], q[state]);
      this.paused.set([q.queue], q.paused ? 1 : 0);
    }
    const alive = report.workers.filter((w) => w.alive);
    this.workers.set(["alive"], alive.length);
    this.workers.set(["dead"], report.workers.length - alive.length);
    this.workerSlots.set([], alive.reduce((n, w) => n + w.running.length, 0));
    this.leader.reset();
    if (report.leader) this.leader.set([report.leader.holder], 1);
    this.hasLeader.set([], report.leader ? 1 : 0);
    this.keysLimited.set([], report.flow?.limited.length ?? 0);
    for (const t of report.flow?.throttled ?? []) {
      const labels = [t.queue, t.job];
      const seen = this.throttled.get(labels);
      if (t.count > seen) this.throttled.inc(labels, t.count - seen);
    }
  }
}
