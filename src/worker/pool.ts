/**
 * The worker pool of one process. Its duties:
 *  1. fetch: claim jobs in batches, as many as there are free slots, and wait
 *     on the store (never busy-poll) when there are none;
 *  2. run each job (execute.ts) and turn its ending into an outcome
 *     (outcome.ts): complete (batched), retry, fail, cancel, put back;
 *  3. keep leases alive (lease-keeper.ts) and announce itself (heartbeat.ts);
 *  4. stop in two steps: `quiet()` stops fetching, `stop(graceMs)` waits for
 *     running jobs up to the grace, then aborts the rest and puts them back
 *     without spending an attempt.
 * Typed events let tests and the CLI follow jobs without polling.
 */

import { hostname } from "node:os";
import type { Clock } from "../core/clock.ts";
import { toError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import { abortableSleep, TypedEmitter, type Service } from "../core/service.ts";
import type { Registry } from "../registry/registry.ts";
import type { EnqueueOptions } from "../sdk/define-job.ts";
import { Cancelled, ShuttingDown } from "../sdk/errors.ts";
import type { ReservedJob, Store } from "../store/store.ts";
import { CompletionBatcher } from "./completion-batcher.ts";
import { executeTry } from "./execute.ts";
import { Heartbeat } from "./heartbeat.ts";
import { LeaseKeeper } from "./lease-keeper.ts";
import { decideOutcome, type Outcome } from "./outcome.ts";

export interface PoolEvents extends Record<string, unknown> {
  "job:start": { id: string; name: string; attempt: number };
  "job:end": { id: string; name: string; outcome: Outcome["kind"]; error?: string; durationMs: number };
  "pool:idle": { workerId: string };
  /** A job ignored its aborted signal (timeout, cancel, shutdown) and still runs in the background. */
  "job:abandoned": { id: string; name: string };
  "pool:error": { error: Error };
  "pool:stopped": { workerId: string };
}

export interface PoolOptions {
  store: Store;
  registry: Registry;
  clock: Clock;
  log: Logger;
  queues: string[];
  concurrency: number;
  leaseMs: number;
  role?: string;
  workerId?: string;
  /** Exit when nothing is ready and nothing runs (`run --burst`). */
  burst?: boolean;
  /** How long a job that ignores an aborted signal is awaited. */
  abandonAfterMs?: number;
  /** For `ctx.enqueue`; returns the new job's id. */
  enqueue(name: string, payload: unknown, opts?: EnqueueOptions): Promise<string>;
}

interface Running {
  job: ReservedJob;
  controller: AbortController;
  done: Promise<void>;
}

const IDLE_WAIT_MS = 5_000;

export class WorkerPool implements Service {
  readonly events = new TypedEmitter<PoolEvents>();
  readonly workerId: string;
  private readonly running = new Map<string, Running>();
  /** Outcomes being written; the slot is already free, so the next claim overlaps these writes. */
  private readonly settling = new Set<Promise<void>>();
  private readonly fetching = new AbortController();
  private readonly completions: CompletionBatcher;
  private readonly leases: LeaseKeeper;
  private readonly heartbeat: Heartbeat;
  private readonly startedAt: number;
  private slotFreed: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;
  /** Resolves when a burst run has drained the queues. */
  readonly drained: Promise<void>;
  private markDrained!: () => void;

  constructor(private readonly opts: PoolOptions) {
    this.workerId = opts.workerId ?? `${hostname()}-${process.pid}`;
    this.startedAt = opts.clock.now();
    this.completions = new CompletionBatcher(opts.store, this.workerId);
    this.leases = new LeaseKeeper({
      store: opts.store,
      workerId: this.workerId,
      leaseMs: opts.leaseMs,
      log: opts.log,
      held: () => [...this.running.values()].map((r) => ({ id: r.job.id, token: r.job.lease.token })),
      onLost: (ids) => {
        for (const id of ids) this.running.get(id)?.controller.abort(new Cancelled("lease lost: the job was cancelled or rescued by the scheduler"));
      },
    });
    this.heartbeat = new Heartbeat(opts.store, opts.clock, opts.log, () => ({
      id: this.workerId,
      host: hostname(),
      pid: process.pid,
      role: opts.role ?? "worker",
      queues: opts.queues,
      concurrency: opts.concurrency,
      startedAt: this.startedAt,
      running: [...this.running.keys()],
    }));
    this.drained = new Promise((resolve) => (this.markDrained = resolve));
  }

  get activeCount(): number {
    return this.running.size;
  }

  start(): void {
    if (this.loop) return;
    this.leases.start();
    this.heartbeat.start();
    this.loop = this.fetchLoop().catch((err) => this.events.emit("pool:error", { error: toError(err) }));
  }

  /** Stop claiming new jobs; running ones go on. */
  quiet(): void {
    this.fetching.abort();
    this.wakeFetcher();
  }

  /** Waits up to `graceMs` for running jobs, then aborts and releases the rest. Idempotent. */
  stop(graceMs = 0): Promise<void> {
    this.stopped ??= this.shutdown(graceMs);
    return this.stopped;
  }

  /** Abort every running job now (a second signal): they are released without spending an attempt. */
  abortAll(): void {
    for (const r of this.running.values()) r.controller.abort(new ShuttingDown());
  }

  private async shutdown(graceMs: number): Promise<void> {
    this.quiet();
    await this.loop;
    const all = () => Promise.all([...this.running.values()].map((r) => r.done));
    if (this.running.size) {
      const grace = new AbortController();
      await Promise.race([all(), abortableSleep(graceMs, grace.signal)]);
      grace.abort();
      this.abortAll();
      await all();
    }
    await Promise.all(this.settling);
    await this.completions.flush().catch((err) => this.opts.log.error("could not store completions at shutdown", { error: (err as Error).message }));
    await this.leases.stop();
    await this.heartbeat.stop();
    this.events.emit("pool:stopped", { workerId: this.workerId });
  }

  private async fetchLoop(): Promise<void> {
    const { store, queues, concurrency, leaseMs } = this.opts;
    const stop = this.fetching.signal;
    let idleAnnounced = false;
    while (!stop.aborted) {
      const free = concurrency - this.running.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.slotFreed = resolve));
        continue;
      }
      let jobs: ReservedJob[];
      try {
        jobs = await store.reserve({ queues, workerId: this.workerId, max: free, leaseMs });
      } catch (err) {
        this.opts.log.warn("could not claim jobs; retrying", { error: (err as Error).message });
        await abortableSleep(1_000, stop);
        continue;
      }
      if (stop.aborted) {
        // Claimed while shutting down: hand them straight back.
        await store.release({ workerId: this.workerId, jobs: jobs.map((j) => ({ id: j.id, token: j.lease.token })) }).catch(() => {});
        break;
      }
      for (const job of jobs) this.begin(job);
      if (jobs.length > 0) {
        idleAnnounced = false;
        continue;
      }
      if (this.running.size === 0) {
        if (this.opts.burst) {
          this.markDrained();
          break;
        }
        if (!idleAnnounced) this.events.emit("pool:idle", { workerId: this.workerId });
        idleAnnounced = true;
      }
      // Wake on new work or on a freed slot (a finished job may have enqueued a follow-up).
      const wake = new AbortController();
      const onStop = () => wake.abort();
      stop.addEventListener("abort", onStop, { once: true });
      this.slotFreed = () => wake.abort();
      await store.waitForWork({ queues, signal: wake.signal, maxWaitMs: IDLE_WAIT_MS }).catch(async (err) => {
        this.opts.log.warn("waiting for work failed; retrying", { error: (err as Error).message });
        await abortableSleep(1_000, wake.signal);
      });
      stop.removeEventListener("abort", onStop);
      this.slotFreed = undefined;
    }
  }

  private begin(job: ReservedJob): void {
    const controller = new AbortController();
    const running: Running = { job, controller, done: Promise.resolve() };
    this.running.set(job.id, running);
    // runOne frees the slot itself as soon as the outcome is known; this covers an unexpected throw.
    running.done = this.runOne(job, controller).finally(() => {
      this.running.delete(job.id);
      this.wakeFetcher();
    });
  }

  private wakeFetcher(): void {
    const wake = this.slotFreed;
    this.slotFreed = undefined;
    wake?.();
  }

  private async runOne(job: ReservedJob, controller: AbortController): Promise<void> {
    const { store, registry, clock } = this.opts;
    const started = clock.mono();
    const attempt = job.attemptsMade + 1;
    const log = this.opts.log.child({ job: job.name, id: job.id, attempt });
    this.events.emit("job:start", { id: job.id, name: job.name, attempt });
    const entry = registry.has(job.name) ? registry.get(job.name) : undefined;
    const ending = entry
      ? await executeTry({
          entry,
          job,
          controller,
          abandonAfterMs: this.opts.abandonAfterMs ?? 5_000,
          log,
          progress: (pct, msg) => {
            store.progress({ id: job.id, token: job.lease.token, progress: { pct, msg } }).catch(() => {});
          },
          enqueue: this.opts.enqueue,
        })
      : { ok: false as const, error: new Error(`no job named "${job.name}" is loaded in this worker (jobs dir: ${registry.dir})`) };
    if (!ending.ok && ending.abandoned) {
      log.warn("the job ignored its aborted signal; its try is written off while its code may still run", { reason: ending.error.message });
      this.events.emit("job:abandoned", { id: job.id, name: job.name });
    }
    const outcome = decideOutcome({ entry, job, ending, abortReason: controller.signal.reason, now: clock.now() });
    // The try is over: free its slot now, so claiming the next batch overlaps writing this outcome.
    this.running.delete(job.id);
    this.wakeFetcher();
    const settle = this.apply(job, outcome, attempt)
      .catch((err) => {
        // The lease will lapse and the rescuer will hand the job out again: at least once, never lost.
        log.error("could not record the job's outcome; it will be retried after its lease expires", { error: (err as Error).message });
      })
      .then(() => {
        const error = "error" in outcome ? outcome.error.message : undefined;
        if (outcome.kind === "fail") log.warn("job failed", { error });
        else if (outcome.kind === "retry") log.info("job will retry", { error, at: new Date(outcome.retryAt).toISOString() });
        this.events.emit("job:end", { id: job.id, name: job.name, outcome: outcome.kind, error, durationMs: clock.mono() - started });
      })
      .finally(() => this.settling.delete(settle));
    this.settling.add(settle);
  }

  private async apply(job: ReservedJob, outcome: Outcome, attempt: number): Promise<void> {
    const { store } = this.opts;
    const ref = { id: job.id, token: job.lease.token };
    const errorOf = (e: Error) => ({ attempt, message: e.message, name: e.name, stack: e.stack?.split("\n").slice(0, 12).join("\n") });
    switch (outcome.kind) {
      case "complete":
        return this.completions.add({ ...ref, result: outcome.result });
      case "retry":
        return store.fail({ workerId: this.workerId, ...ref, error: errorOf(outcome.error), retryAt: outcome.retryAt });
      case "fail":
        return store.fail({ workerId: this.workerId, ...ref, error: errorOf(outcome.error) });
      case "cancel":
        await store.cancelJob(job.id);
        return;
      case "release":
        return store.release({ workerId: this.workerId, jobs: [ref] });
      case "drop":
        return;
    }
  }
}
