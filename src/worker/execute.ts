/**
 * Runs one try of one job in this process (async mode): builds `ctx`,
 * parses the payload, enforces the timeout through `ctx.signal`, and
 * reports how the try ended. It never touches the store; the pool decides
 * what the ending means (see outcome.ts).
 *
 * Per try it costs a context object and one promise: the timeout and the
 * grace share one timer with every other try (deadlines.ts), and the
 * AbortSignal and the job's logger are made only if the job uses them.
 */

import { toError } from "../core/errors.ts";
import type { JobEntry } from "../registry/job-entry.ts";
import { parsePayload } from "../registry/job-entry.ts";
import type { EnqueueOptions, JobContext, JobLogger } from "../sdk/define-job.ts";
import { RateLimited, TimedOut, Unrecoverable } from "../sdk/errors.ts";
import type { ReservedJob } from "../store/store.ts";
import { Deadlines, type Deadline } from "./deadlines.ts";
import type { TryAbort } from "./try-abort.ts";

/**
 * `abandoned`: the job ignored its aborted signal past the grace period and may still be running.
 * `crashed`: the thread or child process running it died (thread and process modes); a stall, not a failed try.
 */
export type TryEnding = { ok: true; result: unknown } | { ok: false; error: Error; abandoned?: boolean; crashed?: boolean };

export interface ExecuteParams {
  entry: JobEntry;
  job: ReservedJob;
  /** Aborted by the pool for cancel, lost lease or shutdown; the timeout is added here. */
  controller: TryAbort;
  /** How long a job that ignores its aborted signal is awaited before the try is written off. */
  abandonAfterMs: number;
  /** `ctx.log`: the process log and the job's own (job-log.ts). Read only when used: it may be made on first use. */
  readonly log: JobLogger;
  progress(pct: number, msg?: string): void;
  enqueue(name: string, payload: unknown, opts?: EnqueueOptions): Promise<string>;
}

/** Every async try's timeout and grace, on one timer (deadlines.ts). */
const deadlines = new Deadlines();

/**
 * `ctx` of an async try. `signal` and `log` are getters, so a job that
 * never touches them costs no AbortController and no logger; both work
 * when destructured (`async run(p, { signal, log })`). `progress` and
 * `enqueue` are own functions, so they work detached too.
 */
class TryContext implements JobContext {
  readonly id: string;
  readonly name: string;
  readonly queue: string;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly progress: (pct: number, msg?: string) => void;
  readonly enqueue: ExecuteParams["enqueue"];
  readonly #p: ExecuteParams;

  constructor(p: ExecuteParams) {
    const { job } = p;
    this.#p = p;
    this.id = job.id;
    this.name = job.name;
    this.queue = job.queue;
    this.attempt = job.attemptsMade + 1;
    this.maxAttempts = job.maxAttempts;
    this.progress = (pct, msg) => p.progress(clampPct(pct), msg);
    this.enqueue = p.enqueue;
  }

  rateLimited(ms: number): never {
    throw new RateLimited(ms);
  }

  get signal(): AbortSignal {
    return this.#p.controller.signal;
  }

  get log(): JobLogger {
    return this.#p.log;
  }
}

/**
 * One try: the timeout deadline, then (once aborted, by it or by the pool)
 * the grace deadline after which a job that ignores its signal is written
 * off. The same object is both deadlines, one after the other.
 */
class AsyncTry implements Deadline {
  at: number;
  private graceStarted = false;
  private over = false;
  private resolve!: (ending: TryEnding) => void;
  readonly ending: Promise<TryEnding>;

  constructor(
    private readonly p: ExecuteParams,
    private readonly onEnd: (() => void) | undefined,
  ) {
    this.ending = new Promise<TryEnding>((resolve) => (this.resolve = resolve));
    this.at = performance.now() + p.entry.timeoutMs;
    deadlines.add(this);
    p.controller.onAbort(() => this.startGrace());
  }

  fire(): void {
    if (this.over) return;
    if (!this.graceStarted) this.p.controller.abort(new TimedOut(this.p.entry.timeoutMs));
    else this.end({ ok: false, error: toError(this.p.controller.reason), abandoned: true });
  }

  end(ending: TryEnding): void {
    if (this.over) return;
    this.over = true;
    deadlines.remove(this);
    this.p.controller.clearHook();
    this.onEnd?.();
    this.resolve(ending);
  }

  /** A job that ignores its signal must not hold the slot forever: once aborted, give it a grace period. */
  private startGrace(): void {
    if (this.over || this.graceStarted) return;
    this.graceStarted = true;
    deadlines.remove(this);
    this.at = performance.now() + this.p.abandonAfterMs;
    deadlines.add(this);
  }
}

/** `onEnd` runs once the try is over (written off included), before its ending is seen. */
export function executeTry(p: ExecuteParams, onEnd?: () => void): Promise<TryEnding> {
  const { entry, job } = p;
  let payload: unknown;
  try {
    payload = parsePayload(entry, job.data);
  } catch (err) {
    onEnd?.();
    return Promise.resolve({ ok: false, error: new Unrecoverable((err as Error).message) });
  }
  const t = new AsyncTry(p, onEnd);
  try {
    const ran = entry.run(payload, new TryContext(p));
    if (ran !== null && typeof ran === "object" && typeof (ran as PromiseLike<unknown>).then === "function") {
      (ran as PromiseLike<unknown>).then(
        (value) => t.end(settled(value)),
        (err) => t.end({ ok: false, error: toError(err) }),
      );
    } else t.end(settled(ran));
  } catch (err) {
    t.end({ ok: false, error: toError(err) });
  }
  return t.ending;
}

function settled(value: unknown): TryEnding {
  try {
    return { ok: true, result: toJsonResult(value) };
  } catch (err) {
    return { ok: false, error: toError(err) };
  }
}

export function clampPct(pct: number): number {
  return Number.isFinite(pct) ? Math.max(0, Math.min(100, pct)) : 0;
}

/** Results are stored as JSON; check that now, in the job's try, not later in the store. */
export function toJsonResult(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  const t = typeof value;
  if (t === "string" || t === "number" || t === "boolean") return value;
  try {
    return JSON.parse(JSON.stringify(value));
  } catch (err) {
    throw new Unrecoverable(`the job's return value is not JSON-serialisable: ${(err as Error).message}`);
  }
}
