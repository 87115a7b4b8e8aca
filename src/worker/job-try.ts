/**
 * One try of one claimed job, as the pool holds it while it runs: the job,
 * its abort control (try-abort.ts), when it started, and what `ctx` needs
 * from the pool (ExecuteParams: progress writes, follow-up enqueues,
 * `ctx.log`). It is the executor's parameter object itself, so a try costs
 * one object here instead of a record, a params literal and their closures.
 *
 * `ctx.log` (job-log.ts, with a child of the process logger carrying the
 * job's id, name, queue and attempt) is made the first time anything logs
 * for the try; a job that never logs costs neither.
 */

import type { Logger } from "../core/logger.ts";
import type { JobEntry } from "../registry/job-entry.ts";
import type { EnqueueOptions } from "../sdk/define-job.ts";
import type { ReservedJob, Store } from "../store/store.ts";
import type { ExecuteParams } from "./execute.ts";
import { JobLog } from "./job-log.ts";
import { TryAbort } from "./try-abort.ts";

/** What every try of one pool shares. */
export interface TryDeps {
  store: Store;
  log: Logger;
  abandonAfterMs: number;
  /** limits.jobLogLines: ctx.log lines kept on a job. */
  jobLogLines: number;
  enqueue(name: string, payload: unknown, opts?: EnqueueOptions): Promise<string>;
}

const settled = Promise.resolve();

export class JobTry implements ExecuteParams {
  readonly controller = new TryAbort();
  /** Settles when the try is over and its outcome is in the outbox (never rejects). */
  done: Promise<void> = settled;
  /** Undefined only when a reload dropped the job (the pool then runs nothing and puts it back). */
  readonly entry: JobEntry;
  readonly abandonAfterMs: number;
  readonly enqueue: TryDeps["enqueue"];
  private jobLog: JobLog | undefined;

  constructor(
    readonly job: ReservedJob,
    entry: JobEntry | undefined,
    private readonly deps: TryDeps,
    /** clock.mono() at the start. */
    readonly started: number,
  ) {
    this.entry = entry as JobEntry;
    this.abandonAfterMs = deps.abandonAfterMs;
    this.enqueue = deps.enqueue;
  }

  /** Whether anything was logged through `ctx.log` (its lines may still wait to be written). */
  get logged(): boolean {
    return this.jobLog !== undefined;
  }

  get attempt(): number {
    return this.job.attemptsMade + 1;
  }

  /** `ctx.log`: lines go to the process log and are kept on the job. */
  get log(): JobLog {
    if (!this.jobLog) {
      const { job, deps } = this;
      const keep = deps.jobLogLines;
      this.jobLog = new JobLog(this.processLog(), this.attempt, (lines) => deps.store.appendLogs({ id: job.id, token: job.lease.token, lines, keep }), keep);
    }
    return this.jobLog;
  }

  /** The process log with the job's fields, for what the pool says about this try. */
  processLog(): Logger {
    const { job } = this;
    return this.deps.log.child({ job: job.name, id: job.id, queue: job.queue, attempt: this.attempt });
  }

  progress(pct: number, msg?: string): void {
    const { job } = this;
    this.deps.store.progress({ id: job.id, token: job.lease.token, progress: { pct, msg } }).catch(() => {});
  }

  /** Writes the job's buffered log lines; call before the outcome (the lease, and the right to write, then ends). */
  flushLog(): Promise<void> {
    return this.jobLog ? this.jobLog.flush() : settled;
  }
}
