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
  run(payload: z.output<S>, ctx: JobContext): Promise<R> | R;
}

export type JobDefinition<S extends z.ZodType = z.ZodType, R = unknown> = JobSpec<S, R> & { readonly [JOB_BRAND]: true };

export function defineJob<S extends z.ZodType = z.ZodAny, R = unknown>(spec: JobSpec<S, R>): JobDefinition<S, R> {
  if (spec === null || typeof spec !== "object") throw new TypeError("defineJob(spec): spec must be an object");
  if (typeof spec.run !== "function") throw new TypeError("defineJob(spec): spec.run must be a function (payload, ctx) => result");
  return Object.freeze({ ...spec, [JOB_BRAND]: true as const });
}

export function isJobDefinition(value: unknown): value is JobDefinition {
  return value !== null && typeof value === "object" && (value as Record<symbol, unknown>)[JOB_BRAND] === true;
}
