/**
 * What a finished try means for the job, as one pure function: complete,
 * retry later (backoff or RetryLater), fail for good, cancel, put back
 * (shutdown), drop (the lease was lost) or stall (the thread or child
 * process running it died: the job goes back through the rescuer with a
 * stall counted, and fails once it has stalled more than maxStalls times). Kept apart from the pool so the
 * rules read in one place and are unit-tested without a store.
 */

import { backoffDelay } from "../core/backoff.ts";
import { toError } from "../core/errors.ts";
import { DEFAULT_LIMITS, formatBytes, utf8Bytes } from "../core/limits.ts";
import type { JobEntry } from "../registry/job-entry.ts";
import { controlKind, Unrecoverable, type RateLimited, type RetryLater } from "../sdk/errors.ts";
import { FLOW_PAUSE_RANGE_MS } from "../core/flow.ts";
import type { ReservedJob } from "../store/store.ts";
import type { TryEnding } from "./execute.ts";

/** A result's size as stored JSON; results are already plain JSON here (execute.ts), and most are null or small. */
export function resultBytes(result: unknown, max: number): number {
  if (result === null || result === undefined || typeof result === "number" || typeof result === "boolean") return 0;
  return utf8Bytes(JSON.stringify(result) ?? "", max);
}

export type Outcome =
  | { kind: "complete"; result: unknown }
  | { kind: "retry"; error: Error; retryAt: number }
  | { kind: "fail"; error: Error }
  | { kind: "cancel" }
  | { kind: "release" }
  /** ctx.rateLimited(ms): back to waiting without spending an attempt; its flow keys (or queue) pause for pauseMs. */
  | { kind: "throttle"; pauseMs: number }
  | { kind: "drop" }
  /** Give the lease up now: the scheduler's rescuer puts the job back and counts a stall. */
  | { kind: "stall"; error: Error };

const MAX_RETRY_DELAY_MS = 366 * 86_400_000;

/** Default of `worker.maxStalls`. */
export const DEFAULT_MAX_STALLS = 2;

export function decideOutcome(p: {
  entry: JobEntry | undefined;
  job: ReservedJob;
  ending: TryEnding;
  abortReason: unknown;
  now: number;
  maxStalls?: number;
  /** limits.maxResultBytes: a bigger result fails the job (default DEFAULT_LIMITS). */
  maxResultBytes?: number;
  random?: () => number;
}): Outcome {
  const reason = controlKind(p.abortReason);
  // Lost lease: someone else owns the job now (cancelled or rescued); writing anything would be wrong.
  if (reason === "cancelled") return { kind: "drop" };
  if (p.ending.ok) {
    const max = p.maxResultBytes ?? DEFAULT_LIMITS.maxResultBytes;
    const bytes = resultBytes(p.ending.result, max);
    if (bytes <= max) return { kind: "complete", result: p.ending.result };
    // Retrying would most likely return the same: fail at once, and say what to do.
    const error = new Unrecoverable(`the job returned ${formatBytes(bytes)} of JSON; at most ${formatBytes(max)} is stored (limits.maxResultBytes): return a reference to where the data is`);
    return { kind: "fail", error };
  }
  if (reason === "shutting-down") return { kind: "release" };
  if (p.ending.crashed && reason !== "timed-out") {
    const maxStalls = p.maxStalls ?? DEFAULT_MAX_STALLS;
    const stalls = (p.job.stalls ?? 0) + 1;
    if (stalls <= maxStalls) return { kind: "stall", error: p.ending.error };
    const error = new Error(`stalled too many times (${stalls}, maxStalls ${maxStalls}): ${p.ending.error.message}`);
    error.name = "Stalled";
    return { kind: "fail", error };
  }

  const error = reason === "timed-out" ? toError(p.abortReason) : p.ending.error;
  const kind = controlKind(error);
  if (kind === "cancelled") return { kind: "cancel" };
  if (kind === "shutting-down") return { kind: "release" };
  if (kind === "rate-limited") return { kind: "throttle", pauseMs: clampPause((error as RateLimited).pauseMs) };
  if (kind === "unrecoverable" || !p.entry) return { kind: "fail", error };
  const attemptsMade = p.job.attemptsMade + 1;
  if (attemptsMade >= p.job.maxAttempts) return { kind: "fail", error };
  const delay = kind === "retry-later" ? Math.max(0, (error as RetryLater).delayMs) : backoffDelay(p.entry.backoff, attemptsMade, p.random);
  // RetryLater(1e300) or NaN must not store a date no one can print: a year at most.
  return { kind: "retry", error, retryAt: p.now + (Number.isFinite(delay) ? Math.min(delay, MAX_RETRY_DELAY_MS) : MAX_RETRY_DELAY_MS) };
}

/** A pause of NaN, 0 or a year is clamped into FLOW_PAUSE_RANGE_MS: a bad value must not stop a key for good. */
function clampPause(ms: number): number {
  const [min, max] = FLOW_PAUSE_RANGE_MS;
  return Number.isFinite(ms) ? Math.min(max, Math.max(min, Math.round(ms))) : min;
}
