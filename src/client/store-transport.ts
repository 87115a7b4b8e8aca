/**
 * The client straight against a store (Redis, or any Store the app opened),
 * with no qworker server in between. There is no job registry here, so it
 * checks the request's shape only (fields, types, in/at). The worker
 * validates the payload when it runs the job, and fails it at once as
 * Unrecoverable if the schema rejects it or the job name is unknown. Job
 * defaults are unknown too: unless the call says otherwise a job goes to
 * queue "default" with 3 attempts, priority 0, and no `unique.key`.
 */

import { systemClock, type Clock } from "../core/clock.ts";
import { NotFoundError, UsageError } from "../core/errors.ts";
import type { EnqueueResult, JobRecord, NewJob } from "../core/types.ts";
import { httpLabel, parseAt, parseEnqueueRequest, type FieldLabel } from "../registry/enqueue-request.ts";
import { DEFAULT_ATTEMPTS, DEFAULT_UNIQUE_TTL_MS } from "../registry/job-entry.ts";
import type { Store } from "../store/store.ts";
import { ClientClosedError } from "./errors.ts";
import type { EnqueueBody, Transport } from "./transport.ts";

export const DIRECT_DEFAULT_QUEUE = "default";

export class StoreTransport implements Transport {
  private opened?: Promise<Store>;
  private closed = false;

  /**
   * `open` makes and opens the store on first use. `owned`: close it on
   * `close()` (true when the client created it, false for a store the app
   * passed in and keeps using).
   */
  constructor(
    private readonly open: () => Promise<Store>,
    private readonly owned: boolean,
    private readonly clock: Clock = systemClock,
  ) {}

  /** `redis://` or `rediss://`; the store module (and ioredis) loads on first use only. */
  static redis(opts: { redisUrl: string; prefix?: string; connectTimeoutMs?: number }): StoreTransport {
    return new StoreTransport(async () => {
      const { RedisStore } = await import("../store/redis/redis-store.ts");
      const store: Store = new RedisStore({ url: opts.redisUrl, prefix: opts.prefix ?? "qw", clock: systemClock, connectTimeoutMs: opts.connectTimeoutMs });
      await store.open();
      return store;
    }, true);
  }

  async enqueue(requests: EnqueueBody[]): Promise<EnqueueResult[]> {
    const now = this.clock.now();
    const batch = requests.length > 1;
    const jobs = requests.map((raw, i) => {
      const label: FieldLabel = batch ? (f) => `[${i}].${httpLabel(f)}` : httpLabel;
      try {
        return toNewJob(raw, now, label);
      } catch (err) {
        if (batch && err instanceof Error) err.message = `item ${i}: ${err.message}`;
        throw err;
      }
    });
    if (jobs.length === 0) throw new UsageError("nothing to enqueue: the list is empty");
    return (await this.store()).enqueue(jobs);
  }

  async getJob(id: string): Promise<JobRecord> {
    const job = await (await this.store()).getJob(id);
    if (!job) throw new NotFoundError(`no job with id "${id}"`);
    return job;
  }

  async cancel(id: string): Promise<JobRecord> {
    return (await this.store()).cancelJob(id);
  }

  async retry(id: string): Promise<JobRecord> {
    return (await this.store()).retryJob(id);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const opening = this.opened;
    this.opened = undefined;
    if (!opening || !this.owned) return;
    const store = await opening.catch(() => undefined);
    await store?.close();
  }

  private store(): Promise<Store> {
    if (this.closed) return Promise.reject(new ClientClosedError());
    if (!this.opened) {
      this.opened = this.open();
      // A failed open (Redis down) is retried by the next call, not cached forever.
      this.opened.catch(() => (this.opened = undefined));
    }
    return this.opened;
  }
}

/** Shape-only: the request's fields, `in`/`at`, and a JSON-serialisable payload. */
function toNewJob(raw: unknown, now: number, label: FieldLabel): NewJob {
  const req = parseEnqueueRequest(raw, label);
  if (req.in !== undefined && req.at !== undefined) throw new UsageError(`give ${label("in")} or ${label("at")}, not both`);
  const data = req.data === undefined ? {} : req.data;
  try {
    JSON.stringify(data);
  } catch (err) {
    throw new UsageError(`${label("data")}: is not JSON-serialisable: ${(err as Error).message}`);
  }
  const runAt = req.in !== undefined ? now + Math.round(req.in * 1000) : req.at !== undefined ? parseAt(req.at, label) : undefined;
  return {
    name: req.name,
    queue: req.queue ?? DIRECT_DEFAULT_QUEUE,
    data,
    priority: req.priority ?? 0,
    maxAttempts: req.attempts ?? DEFAULT_ATTEMPTS,
    runAt: runAt !== undefined && runAt > now ? runAt : undefined,
    uniqueKey: req.key,
    uniqueTtlMs: req.key !== undefined ? DEFAULT_UNIQUE_TTL_MS : undefined,
  };
}
