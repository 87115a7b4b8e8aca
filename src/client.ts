/**
 * `QworkerClient`: what a web app uses to enqueue jobs and wait for them,
 * from Bun or plain Node ≥ 20 (nothing here imports Bun APIs). Two ways in:
 *
 * - HTTP, `new QworkerClient({ url: "http://127.0.0.1:7420", token })`:
 *   through the admin API of a running `qworker run`. Payloads are
 *   validated against the job's schema before anything is stored, and
 *   refusals reject with the server's typed error (ValidationError,
 *   UnknownJobError, NotFoundError, StoreUnavailableError, ...).
 * - Direct, `new QworkerClient({ redisUrl, prefix })` or
 *   `new QworkerClient({ postgresUrl, postgresSchema })`: straight into the
 *   store, no server needed. There is no job registry on this side, so only
 *   the request's shape is checked; a payload that fails the job's schema is
 *   stored, and the worker fails that job at once as Unrecoverable; a job
 *   name no worker has loaded waits for one that has. Job defaults are
 *   unknown too: pass `queue` (default "default"), `attempts` (default 3)
 *   and `key` (no `unique.key`) yourself.
 * - Transactional, on PostgreSQL: `qw.enqueue(name, data, { tx })` stores
 *   the job through the app's own open transaction (a pg client inside
 *   BEGIN, or the `tx` of porsager's or Bun's `sql.begin`), so it exists
 *   if and only if that transaction commits. Same shape-only checks.
 *
 * Both are the one Operations interface (src/ops/) the CLI and the admin
 * API use; this class adds typing per job name and `waitFor`.
 *
 * Payloads can be typed per job name:
 *   const qw = new QworkerClient<{ "send-email": { to: string; subject: string } }>({ url });
 *   await qw.enqueue("send-email", { to: "a@b.co", subject: "hi" });
 */

import { systemClock } from "./core/clock.ts";
import type { EnqueueResult, JobProgress, JobRecord, JobState } from "./core/types.ts";
import { UsageError } from "./core/errors.ts";
import { HttpOperations, type HttpOperationsOptions } from "./ops/http.ts";
import { LocalOperations, newJobsOf } from "./ops/local.ts";
import type { Operations } from "./ops/operations.ts";
import { ClientClosedError } from "./ops/remote-errors.ts";
import type { AppTransaction } from "./store/postgres/tx-enqueue.ts";
import type { Store } from "./store/store.ts";

export {
  ConfigError,
  InvalidStateError,
  NotFoundError,
  PayloadTooLargeError,
  QworkerError,
  StoreUnavailableError,
  UnauthorizedError,
  UnknownJobError,
  UsageError,
  ValidationError,
} from "./core/errors.ts";
export { ClientClosedError, RemoteError } from "./ops/remote-errors.ts";
export type { EnqueueResult, JobErrorRecord, JobProgress, JobRecord, JobState } from "./core/types.ts";
export type { AppTransaction, PgClientLike, SqlTagLike } from "./store/postgres/tx-enqueue.ts";

/** Job name → payload type. The default accepts any name and any payload. */
export type JobMap = Record<string, unknown>;
export type JobName<J extends JobMap> = Extract<keyof J, string>;

export interface EnqueueOptions {
  /** Start in this many seconds (the job is `delayed` until then). */
  in?: number;
  /** Start at this time (a Date or ISO 8601). Give `in` or `at`, not both. */
  at?: Date | string;
  /** Overrides the job's queue. */
  queue?: string;
  /** 0 runs first. */
  priority?: number;
  /** Total tries, the first included. */
  attempts?: number;
  /** Dedupe key: while a job with this key is pending or active, its id is returned instead. */
  key?: string;
}

/** Where an enqueue goes: by default through the client's connection; with `tx`, through the app's PostgreSQL transaction. */
export interface TransactionOption {
  /**
   * The app's open transaction on qworker's database (PostgreSQL only): a
   * pg client inside BEGIN, or the `tx` of porsager's or Bun's
   * `sql.begin(async (tx) => …)`. The job exists if and only if it commits.
   */
  tx?: AppTransaction;
}

/** One item of `enqueueMany`, typed by name when the client has a JobMap. */
export type EnqueueItem<J extends JobMap = JobMap> = { [N in JobName<J>]: { name: N; data?: J[N] } & EnqueueOptions }[JobName<J>];

/** The payload may be left out when the job's payload type allows undefined. */
type DataArgs<T> = undefined extends T ? [data?: T, opts?: EnqueueOptions & TransactionOption] : [data: T, opts?: EnqueueOptions & TransactionOption];

export interface WaitOptions {
  /** Reject with WaitTimeoutError after this long; default: wait as long as it takes. */
  timeoutMs?: number;
  /** Longest pause between polls, default 500 ms (the first polls come sooner, for short jobs). */
  pollMs?: number;
  /** Called whenever the job's reported progress changes. */
  onProgress?: (progress: JobProgress, job: JobRecord) => void;
  /** Stops waiting (rejects with the signal's reason); the job itself is not cancelled. */
  signal?: AbortSignal;
}

export type QworkerClientOptions =
  | HttpOperationsOptions
  | {
      /** `redis://` or `rediss://`, as the server's `store.redisUrl`. */
      redisUrl: string;
      /** The server's `store.redisPrefix`, default "qw". */
      prefix?: string;
      /** How long connecting may take before StoreUnavailableError, default 3000 ms. */
      connectTimeoutMs?: number;
    }
  | {
      /** The database qworker runs on, as the server's `store.postgresUrl`; not needed when every enqueue passes `{ tx }`. */
      postgresUrl?: string;
      /** The server's `store.postgresSchema`, default "qworker". */
      postgresSchema?: string;
      /** How long connecting may take before StoreUnavailableError, default 3000 ms. */
      connectTimeoutMs?: number;
    }
  | {
      /** An open Store the app manages (it is not closed by `close()`); shape-only checks as for Redis. */
      store: Store;
    };

/** States a job does not leave by itself. */
export const FINAL_STATES: readonly JobState[] = ["completed", "failed", "cancelled"];

/** `waitFor` gave up; `job` is the last record it saw (still pending or running). */
export class WaitTimeoutError extends Error {
  override readonly name = "WaitTimeoutError";
  constructor(
    readonly jobId: string,
    readonly job: JobRecord,
    readonly timeoutMs: number,
  ) {
    super(`job ${jobId} is still ${job.state} after ${timeoutMs} ms; it keeps running, call waitFor again or cancel it`);
  }
}

export class QworkerClient<J extends JobMap = JobMap> {
  private readonly operations: () => Promise<Operations>;
  private opened: Operations | undefined;
  private readonly closing = new AbortController();
  /** The qworker schema for `{ tx }` enqueues; set for PostgreSQL clients only. */
  private readonly postgresSchema?: string;

  constructor(opts: QworkerClientOptions) {
    if ("url" in opts && opts.url !== undefined) {
      const http = new HttpOperations(opts);
      this.operations = async () => http;
    } else if ("redisUrl" in opts && opts.redisUrl !== undefined) {
      this.operations = onceUntilItWorks(async () => {
        // Loaded on first use only: an HTTP-only app never pays for ioredis.
        const { RedisStore } = await import("./store/redis/redis-store.ts");
        const store = new RedisStore({ url: opts.redisUrl, prefix: opts.prefix ?? "qw", clock: systemClock, connectTimeoutMs: opts.connectTimeoutMs });
        await store.open();
        return new LocalOperations({ store, clock: systemClock, ownsStore: true });
      });
    } else if (("postgresUrl" in opts && opts.postgresUrl !== undefined) || ("postgresSchema" in opts && opts.postgresSchema !== undefined)) {
      const { postgresUrl, connectTimeoutMs } = opts;
      const schema = (this.postgresSchema = opts.postgresSchema ?? "qworker");
      this.operations = onceUntilItWorks(async () => {
        if (postgresUrl === undefined) {
          throw new UsageError("this client has no postgresUrl, so it can only enqueue with { tx }; give it postgresUrl for everything else");
        }
        // Loaded on first use only; the driver is never loaded for { tx } enqueues.
        const { PostgresStore } = await import("./store/postgres/postgres-store.ts");
        const store = new PostgresStore({ url: postgresUrl, schema, clock: systemClock, connectTimeoutMs, poolSize: 4 });
        await store.open();
        return new LocalOperations({ store, clock: systemClock, ownsStore: true });
      });
    } else if ("store" in opts && opts.store !== undefined) {
      const local = new LocalOperations({ store: opts.store, clock: systemClock, ownsStore: false });
      this.operations = async () => local;
    } else {
      throw new TypeError("QworkerClient needs { url } (the admin API), { redisUrl }, { postgresUrl } or { store }");
    }
  }

  /** Enqueues one job; resolves to its id, or the id of the live job with the same unique key (`deduplicated: true`). */
  async enqueue<N extends JobName<J>>(name: N, ...[data, opts]: DataArgs<J[N]>): Promise<EnqueueResult> {
    const { tx, ...rest } = opts ?? {};
    const [result] = await this.send([toBody(name, data, rest)], tx);
    return result;
  }

  /** Enqueues many jobs at once: all are validated first, and one bad item stores none. Results are in order. */
  async enqueueMany(items: EnqueueItem<J>[], opts: TransactionOption = {}): Promise<EnqueueResult[]> {
    return this.send(
      items.map(({ name, data, ...rest }) => toBody(name, data, rest)),
      opts.tx,
    );
  }

  /** The job's record; NotFoundError for an unknown (or trimmed) id. */
  getJob(id: string): Promise<JobRecord> {
    return this.guard((ops) => ops.getJob(id));
  }

  /**
   * Polls until the job is completed, failed or cancelled and resolves with
   * that record. A failed job resolves too (check `state` and `errors`).
   * Rejects with WaitTimeoutError past `timeoutMs`, NotFoundError if the
   * job disappears, and ClientClosedError when the client is closed.
   */
  async waitFor(id: string, opts: WaitOptions = {}): Promise<JobRecord> {
    const pollMs = Math.max(1, opts.pollMs ?? 500);
    const started = Date.now();
    let pause = Math.min(20, pollMs);
    let lastProgress: string | undefined;
    for (;;) {
      opts.signal?.throwIfAborted();
      const job = await this.getJob(id);
      if (opts.onProgress && job.progress) {
        const seen = JSON.stringify(job.progress);
        if (seen !== lastProgress) {
          lastProgress = seen;
          opts.onProgress(job.progress, job);
        }
      }
      if (FINAL_STATES.includes(job.state)) return job;
      const left = opts.timeoutMs === undefined ? Infinity : opts.timeoutMs - (Date.now() - started);
      if (left <= 0) throw new WaitTimeoutError(id, job, opts.timeoutMs!);
      await this.sleep(Math.min(pause, left), opts.signal);
      pause = Math.min(pollMs, pause * 2);
    }
  }

  /** Waiting or delayed jobs are cancelled at once; an active one is aborted by its worker within a lease renewal. */
  cancel(id: string): Promise<JobRecord> {
    return this.guard((ops) => ops.cancelJob(id));
  }

  /** A failed, cancelled or completed job goes back to waiting with its attempts reset. */
  retry(id: string): Promise<JobRecord> {
    return this.guard((ops) => ops.retryJob(id));
  }

  /** Ends pending `waitFor`s and releases connections. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort(new ClientClosedError());
    await this.opened?.close();
  }

  private send(bodies: EnqueueBody[], tx?: AppTransaction): Promise<EnqueueResult[]> {
    if (tx !== undefined) return this.enqueueInTransaction(bodies, tx);
    return this.guard((ops) => ops.enqueue(bodies));
  }

  /** Shape-checked as a direct enqueue, then stored through the app's transaction: nothing of this client's own connection is used. */
  private async enqueueInTransaction(bodies: EnqueueBody[], tx: AppTransaction): Promise<EnqueueResult[]> {
    if (this.closing.signal.aborted) throw new ClientClosedError();
    if (this.postgresSchema === undefined) {
      throw new UsageError("enqueue with { tx } needs a PostgreSQL client: new QworkerClient({ postgresUrl }) or ({ postgresSchema })");
    }
    const now = systemClock.now();
    const jobs = newJobsOf(bodies, undefined, now);
    const { enqueueInTransaction } = await import("./store/postgres/tx-enqueue.ts");
    return enqueueInTransaction(tx, this.postgresSchema, jobs, now);
  }

  private async guard<T>(fn: (ops: Operations) => Promise<T>): Promise<T> {
    if (this.closing.signal.aborted) throw new ClientClosedError();
    const ops = (this.opened = await this.operations());
    if (this.closing.signal.aborted) {
      await ops.close();
      throw new ClientClosedError();
    }
    return fn(ops);
  }

  private sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const signals = [this.closing.signal, signal].filter((s): s is AbortSignal => s !== undefined);
      const stop = (s: AbortSignal) => () => {
        done();
        reject(s.reason);
      };
      const handlers = signals.map((s) => [s, stop(s)] as const);
      const timer = setTimeout(() => {
        done();
        resolve();
      }, ms);
      function done() {
        clearTimeout(timer);
        for (const [s, h] of handlers) s.removeEventListener("abort", h);
      }
      for (const [s, h] of handlers) {
        if (s.aborted) return h();
        s.addEventListener("abort", h, { once: true });
      }
    });
  }
}

/** One job to enqueue, exactly as `POST /api/jobs` takes it. */
interface EnqueueBody extends Omit<EnqueueOptions, "at"> {
  name: string;
  data?: unknown;
  at?: string;
}

/** Runs `open` on first use and shares its result; a failure (Redis down) is retried by the next call, not kept. Exported for tests. */
export function onceUntilItWorks<T>(open: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (!pending) {
      pending = open();
      pending.catch(() => (pending = undefined));
    }
    return pending;
  };
}

function toBody(name: string, data: unknown, opts: EnqueueOptions = {}): EnqueueBody {
  const { at, ...rest } = opts;
  let when: string | undefined;
  if (at instanceof Date) {
    if (Number.isNaN(at.getTime())) throw new UsageError("at: is an invalid Date");
    when = at.toISOString();
  } else {
    when = at;
  }
  return { name, data, ...rest, at: when };
}
