/**
 * `defineJob`: what a job module's default export is. It only checks the
 * shape and brands the object; the registry validates the rest (name,
 * queue, cron) against the config, where it can name the file.
 */

import type { z } from "zod";
import type { BackoffPolicy } from "../core/backoff.ts";
import type { Duration } from "../core/duration.ts";

export const JOB_BRAND = Symbol.for("qworker.job");

export interface JobLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface EnqueueOptions {
  queue?: string;
  priority?: number;
  /** Seconds from now. */
  in?: number;
  at?: Date | string;
  attempts?: number;
  key?: string;
}

/** Where a job's tries run; see src/worker/executors/. */
export type ExecMode = "async" | "thread" | "process";
export const EXEC_MODES = ["async", "thread", "process"] as const satisfies readonly ExecMode[];

export interface JobContext {
  id: string;
  name: string;
  queue: string;
  /** 1-based: the first try is 1. */
  attempt: number;
  maxAttempts: number;
  /** Aborts on timeout (reason TimedOut), cancel (Cancelled) and shutdown (ShuttingDown). */
  signal: AbortSignal;
  progress(pct: number, msg?: string): void;
  log: JobLogger;
  /** Enqueue a follow-up job; resolves to its id. */
  enqueue(name: string, payload: unknown, opts?: EnqueueOptions): Promise<string>;
  /**
   * The service said "slow down" (a 429): throws, and the job goes back to
   * waiting without spending an attempt. Its flow keys (its concurrency and
   * rate-limit keys), or its queue when it has none, start no job for `ms`.
   */
  rateLimited(ms: number): never;
}

/** `concurrency`: at most `max` of this job run at once across the fleet, per `key(payload)` or for the whole job. */
export interface ConcurrencyOption<P = any> {
  max: number;
  key?: (payload: P) => string;
}

/**
 * `rateLimit`: at most `max` starts per `per` ("1s", "1m", or ms), per
 * `key(payload)` or for the whole job. Starts are spread evenly, one every
 * per / max at most: no bursts, so any window of length `per` holds at most
 * `max` starts.
 */
export interface RateLimitOption<P = any> {
  max: number;
  per: Duration;
  key?: (payload: P) => string;
}

export interface JobSpec<S extends z.ZodType = z.ZodType, R = unknown> {
  /** Defaults to the file name without extension. */
  name?: string;
  queue?: string;
  schema?: S;
  /** Total tries, the first included. Default 3. */
  attempts?: number;
  backoff?: Partial<BackoffPolicy>;
  /** Default "5m". */
  timeout?: Duration;
  /** Default priority of this job's runs (0 first). */
  priority?: number;
  /** Recurring: a 5- or 6-field cron expression. */
  cron?: string;
  cronPayload?: z.input<S>;
  /** IANA zone for `cron`, default UTC. */
  timezone?: string;
  /** `skip` (default): no new cron run while the last one is still waiting or active. */
  overlap?: "skip" | "allow";
  /** Dedupe: an enqueue whose key matches a pending/active job returns that job's id. */
  unique?: { key: (payload: z.output<S>) => string; ttl?: Duration };
  /** At most `max` running at once across every worker sharing the store (per key when `key` is given). */
  concurrency?: ConcurrencyOption<z.output<S>>;
  /** At most `max` starts per `per` across every worker sharing the store (per key when `key` is given); no bursts. */
  rateLimit?: RateLimitOption<z.output<S>>;
  /** Fair share: waiting jobs of different groups are claimed round-robin (within a priority level). */
  group?: (payload: z.output<S>) => string;
  /** Where a try runs: the event loop (`async`), a worker thread, or a child process. Default: the server's `--mode`. */
  mode?: ExecMode;
  /** Thread and process modes: a try whose memory passes this many MB is stopped and counts as failed. */
  maxMemoryMb?: number;
  run(payload: z.output<S>, ctx: JobContext): Promise<R> | R;
}

/**
 * Every option `defineJob` takes. The registry refuses a job module that
 * sets any other key, so a typo (`atempts`, `timout`) is an error naming the
 * file instead of an option dropped in silence. Adding an option to JobSpec
 * means adding its name here; tsc refuses this file until both agree.
 */
export const JOB_SPEC_KEYS = [
  "name",
  "queue",
  "schema",
  "attempts",
  "backoff",
  "timeout",
  "priority",
  "cron",
  "cronPayload",
  "timezone",
  "overlap",
  "unique",
  "concurrency",
  "rateLimit",
  "group",
  "mode",
  "maxMemoryMb",
  "run",
] as const satisfies readonly (keyof JobSpec)[];

/** The keys of the nested `backoff` and `unique` objects, checked the same way. */
export const BACKOFF_KEYS = ["type", "delayMs", "maxMs", "jitter"] as const satisfies readonly (keyof BackoffPolicy)[];
export const UNIQUE_KEYS = ["key", "ttl"] as const satisfies readonly (keyof NonNullable<JobSpec["unique"]>)[];
export const CONCURRENCY_KEYS = ["max", "key"] as const satisfies readonly (keyof ConcurrencyOption)[];
export const RATE_LIMIT_KEYS = ["max", "per", "key"] as const satisfies readonly (keyof RateLimitOption)[];

// Compile-time only: `satisfies` above stops a listed name that is not an option; these stop an
// option that is not listed (tsc names the missing key: it "does not satisfy the constraint 'never'").
type Unlisted<T, Listed extends readonly PropertyKey[]> = Exclude<keyof T, Listed[number]>;
type MustBeNever<T extends never> = T;
type EveryOptionListed = [
  MustBeNever<Unlisted<JobSpec, typeof JOB_SPEC_KEYS>>,
  MustBeNever<Unlisted<BackoffPolicy, typeof BACKOFF_KEYS>>,
  MustBeNever<Unlisted<NonNullable<JobSpec["unique"]>, typeof UNIQUE_KEYS>>,
  MustBeNever<Unlisted<ConcurrencyOption, typeof CONCURRENCY_KEYS>>,
  MustBeNever<Unlisted<RateLimitOption, typeof RATE_LIMIT_KEYS>>,
];

export type JobDefinition<S extends z.ZodType = z.ZodType, R = unknown> = JobSpec<S, R> & { readonly [JOB_BRAND]: true };

export function defineJob<S extends z.ZodType = z.ZodAny, R = unknown>(spec: JobSpec<S, R>): JobDefinition<S, R> {
  if (spec === null || typeof spec !== "object") throw new TypeError("defineJob(spec): spec must be an object");
  if (typeof spec.run !== "function") throw new TypeError("defineJob(spec): spec.run must be a function (payload, ctx) => result");
  return Object.freeze({ ...spec, [JOB_BRAND]: true as const });
}

export function isJobDefinition(value: unknown): value is JobDefinition {
  return value !== null && typeof value === "object" && (value as Record<symbol, unknown>)[JOB_BRAND] === true;
}
