/**
 * Errors a job throws to steer what happens next. The worker recognises
 * them by brand (not `instanceof`), so a job bundled with its own copy of
 * the SDK is understood too.
 */

const BRAND = Symbol.for("qworker.control");

/** Try again after `delayMs` instead of the job's backoff. Spends an attempt. */
export class RetryLater extends Error {
  readonly [BRAND] = "retry-later";
  constructor(
    readonly delayMs: number,
    message = `retry requested in ${delayMs} ms`,
  ) {
    super(message);
    this.name = "RetryLater";
  }
}

/**
 * `ctx.rateLimited(ms)` throws this (a job may throw it itself): the job goes
 * back to waiting without spending an attempt, and its flow keys (or its
 * queue, when it has none) start no job for `pauseMs`.
 */
export class RateLimited extends Error {
  readonly [BRAND] = "rate-limited";
  constructor(
    readonly pauseMs: number,
    message = `rate limited: paused for ${pauseMs} ms`,
  ) {
    super(message);
    this.name = "RateLimited";
  }
}

/** Fail now, whatever attempts are left: retrying cannot help (bad input, gone resource). */
export class Unrecoverable extends Error {
  readonly [BRAND] = "unrecoverable";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "Unrecoverable";
  }
}

/** The job gave up on purpose; it ends `cancelled`, not `failed`. Also the reason of `ctx.signal` on cancel. */
export class Cancelled extends Error {
  readonly [BRAND] = "cancelled";
  constructor(message = "cancelled") {
    super(message);
    this.name = "Cancelled";
  }
}

/** The reason of `ctx.signal` when the job's timeout passes. */
export class TimedOut extends Error {
  readonly [BRAND] = "timed-out";
  constructor(readonly timeoutMs: number) {
    super(`timed out after ${shortDuration(timeoutMs)}`);
    this.name = "TimedOut";
  }
}

/** "300 ms", "1s", "1.5s", "5m": how a timeout reads in an error. */
function shortDuration(ms: number): string {
  if (ms < 1_000) return `${ms} ms`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 100) / 10}s`;
}

/** The reason of `ctx.signal` when the worker shuts down; the job is put back without spending an attempt. */
export class ShuttingDown extends Error {
  readonly [BRAND] = "shutting-down";
  constructor() {
    super("worker is shutting down");
    this.name = "ShuttingDown";
  }
}

export type ControlKind = "retry-later" | "rate-limited" | "unrecoverable" | "cancelled" | "timed-out" | "shutting-down";

export function controlKind(err: unknown): ControlKind | undefined {
  return err !== null && typeof err === "object" ? ((err as Record<symbol, ControlKind>)[BRAND] ?? undefined) : undefined;
}
