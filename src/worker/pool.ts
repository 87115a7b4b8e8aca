/**
 * The worker pool of one process. Its duties:
 *  1. fetch: one Loop (core/loop.ts) whose every round first writes the
 *     outcomes decided since the last round (outbox.ts), then claims as
 *     many jobs as there are free slots (completions ride along with the
 *     claim), and otherwise waits on the store, never busy-polling;
 *  2. run each job in its mode (executors/: async in this event loop,
 *     thread or process in a pool of hosts) and turn its ending into an
 *     outcome (outcome.ts);
 *  3. stop claiming while the store refuses writes: outcomes wait in the
 *     outbox, one log line says so, and claiming resumes by itself once a
 *     write lands (`health()` reports it meanwhile);
 *  4. keep leases alive (lease-keeper.ts) and announce itself, with the job
 *     names it can run (heartbeat.ts);
 *  5. stop in two steps: `quiet()` stops claiming, `stop(graceMs)` waits for
 *     running jobs up to the grace, then aborts the rest and puts them back
 *     without spending an attempt.
 * Typed events let tests and the CLI follow jobs without polling.
 */

import { hostname } from "node:os";
import type { Clock } from "../core/clock.ts";
import { toError } from "../core/errors.ts";
import { DEFAULT_LIMITS } from "../core/limits.ts";
import type { Logger } from "../core/logger.ts";
import { growingPause, Loop } from "../core/loop.ts";
import { abortableSleep, TypedEmitter, type Service } from "../core/service.ts";
import type { Registry } from "../registry/registry.ts";
import type { EnqueueOptions } from "../sdk/define-job.ts";
import { Cancelled, ShuttingDown } from "../sdk/errors.ts";
import { ThroughputCounter } from "../stats/throughput.ts";
import type { ReservedJob, Store } from "../store/store.ts";
import type { TryEnding } from "./execute.ts";
import { Executors, type ExecutorsOptions } from "./executors/executor.ts";
import { DEFAULT_HEARTBEAT_MS, Heartbeat } from "./heartbeat.ts";
import { LeaseKeeper } from "./lease-keeper.ts";
import { JobTry, type TryDeps } from "./job-try.ts";
import { Outbox, type Written } from "./outbox.ts";
import { decideOutcome, type Outcome } from "./outcome.ts";

export interface PoolEvents extends Record<string, unknown> {
  "job:start": { id: string; name: string; attempt: number };
  /** After the outcome is recorded in the store (or dropped because the lease was lost). */
  "job:end": { id: string; name: string; queue: string; attempt: number; outcome: Outcome["kind"]; error?: string; durationMs: number; waitMs: number };
  "pool:idle": { workerId: string };
  /** A job ignored its aborted signal (timeout, cancel, shutdown) and still runs in the background. */
  "job:abandoned": { id: string; name: string };
  /** A claim or an outcome write failed; claiming pauses until the store takes writes again. */
  "pool:degraded": { error: Error };
  "pool:recovered": { downMs: number };
  "pool:stopped": { workerId: string };
}

export interface PoolOptions {
  store: Store;
  /** The jobs this pool can run; `useRegistry` swaps it on a reload. */
  registry: Registry;
  clock: Clock;
  log: Logger;
  queues: string[];
  concurrency: number;
  leaseMs: number;
  role?: string;
  /** How this worker runs jobs, as the fleet sees it ("async", "process"). */
  mode?: string;
  workerId?: string;
  /** Exit when nothing is ready and nothing runs (`run --burst`). */
  burst?: boolean;
  /** How long a job that ignores an aborted signal is awaited. */
  abandonAfterMs?: number;
  /** Heartbeat interval; the record lapses after three missed beats. */
  heartbeatMs?: number;
  /** For `ctx.enqueue`; returns the new job's id. */
  enqueue(name: string, payload: unknown, opts?: EnqueueOptions): Promise<string>;
  /** Where jobs that name no `mode` run (default async), host pool sizes, maxMemoryMb: executors/executor.ts. */
  execution?: Omit<ExecutorsOptions, "concurrency" | "log">;
  /** A job whose thread or child died more often than this fails (default 2, as the rescuer's). */
  maxStalls?: number;
  /** limits.maxResultBytes: a job returning more fails (default DEFAULT_LIMITS). */
  maxResultBytes?: number;
  /** limits.jobLogLines: ctx.log lines kept on a job (default DEFAULT_LIMITS). */
  jobLogLines?: number;
  /** Start at most this many jobs, then drain like a burst (`run --max-jobs`). */
  maxJobs?: number;
}

export interface PoolHealth {
  ok: boolean;
  /** Why not: the store's last refusal, and since when (epoch ms). */
  failing?: { error: string; since: number };
  outcomesUnwritten: number;
}

/** Longest idle wait before the loop looks again on its own. */
const IDLE_WAIT_MS = 5_000;
/** Pause after a failed claim or write: 250 ms, doubling to 5 s while the store keeps refusing. */
const errorPause = growingPause(250, 5_000);

export class WorkerPool implements Service {
  readonly events = new TypedEmitter<PoolEvents>();
  readonly workerId: string;
  private readonly running = new Map<string, JobTry>();
  private readonly outbox: Outbox;
  private readonly loop: Loop;
  private readonly leases: LeaseKeeper;
  private readonly heartbeat: Heartbeat;
  private readonly startedAt: number;
  /** Tries finished per queue and minute, published with the heartbeat (rates, sparklines). */
  readonly throughput = new ThroughputCounter();
  private readonly executors: Executors;
  private readonly tryDeps: TryDeps;
  /** The registry's job names, as last handed to reserve (the list is rebuilt only when the registry changes). */
  private names: { registry: Registry; names: string[] } | undefined;
  /** Jobs started so far, for maxJobs. */
  private started = 0;
  /** Cuts the fetch loop's wait short: a job ended, or the pool was quieted. */
  private nudge: AbortController | undefined;
  private quieted = false;
  private failing: { error: Error; since: number } | undefined;
  private stopped: Promise<void> | undefined;
  /** Resolves when a burst run has drained the queues. */
  readonly drained: Promise<void>;
  private markDrained!: () => void;

  private readonly opts: PoolOptions;

  constructor(opts: PoolOptions) {
    this.opts = { ...opts };
    this.workerId = opts.workerId ?? `${hostname()}-${process.pid}`;
    this.startedAt = opts.clock.now();
    this.outbox = new Outbox((w) => this.ended(w));
    this.leases = new LeaseKeeper({
      store: opts.store,
      clock: opts.clock,
      workerId: this.workerId,
      leaseMs: opts.leaseMs,
      log: opts.log,
      held: () => [...[...this.running.values()].map((r) => ({ id: r.job.id, token: r.job.lease.token })), ...this.outbox.held()],
      onLost: (ids) => {
        for (const id of ids) {
          this.running.get(id)?.controller.abort(new Cancelled("lease lost: the job was cancelled or rescued by the scheduler"));
          this.outbox.forget(id);
        }
      },
    });
    this.heartbeat = new Heartbeat(
      opts.store,
      opts.clock,
      opts.log,
      () => ({
        id: this.workerId,
        host: hostname(),
        pid: process.pid,
        role: opts.role ?? "worker",
        queues: opts.queues,
        concurrency: opts.concurrency,
        jobs: this.opts.registry.names(),
        startedAt: this.startedAt,
        running: [...this.running.keys()],
        mode: opts.mode,
        throughput: this.throughput.snapshot(opts.clock.now()),
      }),
      opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
    );
    this.loop = new Loop({
      name: "fetch",
      round: (signal) => this.round(signal),
      onError: (err, failures) => this.onStoreError(err, failures),
    });
    this.drained = new Promise((resolve) => (this.markDrained = resolve));
    this.executors = new Executors({ mode: "async", ...opts.execution, concurrency: opts.concurrency, log: opts.log });
    this.tryDeps = { store: opts.store, log: opts.log, abandonAfterMs: opts.abandonAfterMs ?? 5_000, jobLogLines: opts.jobLogLines ?? DEFAULT_LIMITS.jobLogLines, enqueue: opts.enqueue };
  }

  get activeCount(): number {
    return this.running.size;
  }

  /** After a reload: jobs claimed from now on run the new code; those running finish on the code they started with. */
  useRegistry(registry: Registry): void {
    this.opts.registry = registry;
    this.nudgeLoop();
  }

  health(): PoolHealth {
    const f = this.failing;
    return { ok: !f, failing: f && { error: f.error.message, since: f.since }, outcomesUnwritten: this.outbox.size };
  }

  start(): void {
    if (this.loop.active || this.stopped) return;
    this.heartbeat.start();
    this.leases.start();
    this.loop.start();
  }

  /** Stop claiming new jobs; running ones go on and their outcomes are still written. */
  quiet(): void {
    this.quieted = true;
    this.nudgeLoop();
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
    const all = () => Promise.all([...this.running.values()].map((r) => r.done));
    if (this.running.size) {
      const grace = new AbortController();
      await Promise.race([all(), abortableSleep(graceMs, grace.signal)]);
      grace.abort();
      this.abortAll();
      await all();
    }
    await this.executors.stop();
    await this.loop.stop();
    await this.flushAtExit();
    await this.leases.stop();
    await this.heartbeat.stop();
    this.events.emit("pool:stopped", { workerId: this.workerId });
  }

  /** The last outcomes, with a few tries: what cannot be written now comes back through the rescuer. */
  private async flushAtExit(): Promise<void> {
    for (let attempt = 1; this.outbox.size > 0; attempt++) {
      try {
        await this.writeOutcomes(false);
      } catch (err) {
        if (attempt >= 3) {
          this.opts.log.error("could not record outcomes at shutdown; those jobs run again after their lease expires", {
            jobs: this.outbox.size,
            error: toError(err).message,
          });
          return;
        }
        await abortableSleep(errorPause(attempt));
      }
    }
  }

  /** One round of the fetch loop: write outcomes, claim with the completions, or wait. */
  private async round(signal: AbortSignal): Promise<void> {
    await this.heartbeat.first;
    const free = this.quieted ? 0 : this.freeSlots();
    const { claimed, called } = await this.writeOutcomes(free > 0);
    if (called) this.recovered();
    if (claimed > 0 || signal.aborted) return;
    if (!this.quieted && this.running.size === 0 && this.outbox.size === 0) {
      if (this.opts.burst || this.started >= (this.opts.maxJobs ?? Infinity)) {
        this.markDrained();
        this.quiet();
        return;
      }
      this.events.emit("pool:idle", { workerId: this.workerId });
    }
    const nudge = (this.nudge = new AbortController());
    const wake = AbortSignal.any([signal, nudge.signal]);
    if (this.outbox.size > 0) return; // a job ended while we wrote: go round again
    if (free > 0) await this.opts.store.waitForWork({ queues: this.opts.queues, signal: wake, maxWaitMs: IDLE_WAIT_MS });
    else await abortableSleep(IDLE_WAIT_MS, wake); // every slot busy (or quiet): a job ending cuts this short
    this.nudge = undefined;
  }

  /**
   * Writes pending outcomes and, with `claim`, claims jobs for the free
   * slots in the same call as the completions. Says how many jobs were
   * claimed and whether the store was called at all. Throws when the store
   * refuses: the outcomes stay in the outbox.
   */
  private async writeOutcomes(claim: boolean): Promise<{ claimed: number; called: boolean }> {
    const { store, clock } = this.opts;
    const called = this.outbox.size > 0 || claim;
    await this.outbox.writeOthers(store, clock.now());
    const free = this.freeSlots();
    const completions = this.outbox.takeCompletions();
    if (!claim || free <= 0) {
      if (completions.length === 0) return { claimed: 0, called };
      try {
        await store.complete({ workerId: this.workerId, jobs: completions, now: clock.now() });
      } catch (err) {
        this.outbox.restore(completions);
        throw err;
      }
      this.outbox.written(completions);
      return { claimed: 0, called };
    }
    let jobs: ReservedJob[];
    try {
      jobs = await store.reserve({
        queues: this.opts.queues,
        workerId: this.workerId,
        max: free,
        leaseMs: this.opts.leaseMs,
        now: clock.now(),
        names: this.jobNames(),
        complete: completions.length ? completions : undefined,
      });
    } catch (err) {
      this.outbox.restore(completions);
      throw err;
    }
    this.outbox.written(completions);
    if (this.quieted) {
      // Claimed while shutting down: hand them straight back.
      await store.release({ workerId: this.workerId, jobs: jobs.map((j) => ({ id: j.id, token: j.lease.token })) }).catch(() => {});
      return { claimed: 0, called };
    }
    for (const job of jobs) this.begin(job);
    return { claimed: jobs.length, called };
  }

  /** Slots to claim for: concurrency, and what is left of maxJobs. */
  private freeSlots(): number {
    const free = this.opts.concurrency - this.running.size;
    return this.opts.maxJobs === undefined ? free : Math.min(free, this.opts.maxJobs - this.started);
  }

  private onStoreError(err: Error, failures: number): number {
    const pause = errorPause(failures);
    if (!this.failing) {
      this.failing = { error: err, since: this.opts.clock.now() };
      this.opts.log.error("the store refuses claims or outcome writes: no new jobs start until it takes writes again", {
        error: err.message,
        outcomesHeld: this.outbox.size,
      });
      this.events.emit("pool:degraded", { error: err });
    } else {
      this.failing.error = err;
    }
    return pause;
  }

  private recovered(): void {
    if (!this.failing) return;
    const downMs = this.opts.clock.now() - this.failing.since;
    this.failing = undefined;
    this.opts.log.info("the store takes writes again; claiming resumed", { downMs });
    this.events.emit("pool:recovered", { downMs });
  }

  /** The names of the loaded jobs, for claims by name; the same array until a reload swaps the registry. */
  private jobNames(): string[] {
    const { registry } = this.opts;
    if (this.names?.registry !== registry) this.names = { registry, names: registry.names() };
    return this.names.names;
  }

  private begin(job: ReservedJob): void {
    const { registry, clock } = this.opts;
    const t = new JobTry(job, registry.has(job.name) ? registry.get(job.name) : undefined, this.tryDeps, clock.mono());
    this.running.set(job.id, t);
    this.started++;
    t.done = this.runOne(t);
  }

  /** Never rejects: a bug here is logged, and the job comes back through its lease. */
  private async runOne(t: JobTry): Promise<void> {
    const { job, entry, controller } = t;
    const { clock } = this.opts;
    try {
      if (this.events.listens("job:start")) this.events.emit("job:start", { id: job.id, name: job.name, attempt: t.attempt });
      let ending: TryEnding;
      if (entry) {
        ending = await this.executors.for(entry).run(t);
        if (!ending.ok && ending.abandoned) {
          t.processLog().warn("the job ignored its aborted signal; its try is written off while its code may still run", { reason: ending.error.message });
          this.events.emit("job:abandoned", { id: job.id, name: job.name });
        }
        // Before the outcome: once it is recorded the lease is gone, and with it the right to write.
        if (t.logged) await t.flushLog();
      } else {
        // Claimed by name, so only a reload that dropped the job gets here: put it back for a worker that has it.
        ending = { ok: false, error: new ShuttingDown() };
      }
      const outcome = decideOutcome({ entry, job, ending, abortReason: controller.reason, now: clock.now(), maxStalls: this.opts.maxStalls, maxResultBytes: this.opts.maxResultBytes });
      const durationMs = clock.mono() - t.started;
      const waitMs = job.startedAt !== undefined ? Math.max(0, job.startedAt - job.runAt) : 0;
      // The try is over: free its slot, and let the next round write the outcome (with its claim).
      this.running.delete(job.id);
      this.outbox.add({ id: job.id, name: job.name, queue: job.queue, token: job.lease.token, workerId: this.workerId, attempt: t.attempt, outcome, durationMs, waitMs });
    } catch (err) {
      this.opts.log.error("unexpected error while running a job", { id: job.id, error: toError(err).message });
      this.running.delete(job.id);
    }
    this.nudgeLoop();
  }

  /** An outcome is in the store (or dropped): one log line for the finished try, and the event. */
  private ended(w: Written): void {
    const { durationMs, waitMs } = w;
    const o = w.outcome;
    const err = "error" in o ? o.error : undefined;
    const { log } = this.opts;
    const fields = { job: w.name, id: w.id, queue: w.queue, attempt: w.attempt, durationMs: Math.round(durationMs * 10) / 10 };
    if (o.kind === "complete") log.info("job completed", fields);
    else if (o.kind === "retry") log.warn("job failed; it will retry", { ...fields, error: err, retryAt: new Date(o.retryAt).toISOString() });
    else if (o.kind === "fail") log.error("job failed", { ...fields, error: err });
    else if (o.kind === "cancel") log.info("job cancelled itself", fields);
    else if (o.kind === "release") log.info("job put back (shutdown)", fields);
    else if (o.kind === "throttle") log.info("job rate limited: put back, its keys pause", { ...fields, pauseMs: o.pauseMs });
    else if (o.kind === "stall") log.warn("job stalled: the thread or process running it died; the rescuer puts it back", { ...fields, error: err?.message });
    if (o.kind === "complete" || o.kind === "retry" || o.kind === "fail") this.throughput.record(w.queue, o.kind === "complete", this.opts.clock.now());
    if (this.events.listens("job:end")) this.events.emit("job:end", { id: w.id, name: w.name, queue: w.queue, attempt: w.attempt, outcome: o.kind, error: err?.message, durationMs, waitMs });
  }

  private nudgeLoop(): void {
    this.nudge?.abort();
    this.loop.wake();
  }
}
