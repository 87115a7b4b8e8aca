import { describe, expect, test } from "bun:test";
import { DEFAULT_BACKOFF } from "../../src/core/backoff.ts";
import type { JobEntry } from "../../src/registry/job-entry.ts";
import { Cancelled, RateLimited, RetryLater, ShuttingDown, TimedOut, Unrecoverable } from "../../src/sdk/errors.ts";
import type { ReservedJob } from "../../src/store/store.ts";
import { decideOutcome } from "../../src/worker/outcome.ts";

const entry = { backoff: { ...DEFAULT_BACKOFF, jitter: false } } as JobEntry;
const job = (attemptsMade: number, maxAttempts = 3) => ({ attemptsMade, maxAttempts }) as ReservedJob;
const now = 1_000_000;
const decide = (ending: Parameters<typeof decideOutcome>[0]["ending"], abortReason?: unknown, j = job(0)) => decideOutcome({ entry, job: j, ending, abortReason, now });

describe("decideOutcome", () => {
  test("a result over limits.maxResultBytes fails the job at once (no retry), naming the key; one at the limit completes", () => {
    const big = { rows: "x".repeat(2_000) };
    const over = decideOutcome({ entry, job: job(0), ending: { ok: true, result: big }, abortReason: undefined, now, maxResultBytes: 1_024 });
    expect(over.kind).toBe("fail");
    expect(over.kind === "fail" && over.error).toBeInstanceOf(Unrecoverable);
    expect(over.kind === "fail" && over.error.message).toContain("limits.maxResultBytes");
    const text = "y".repeat(1_022); // 1,024 bytes as JSON, with its quotes
    expect(decideOutcome({ entry, job: job(0), ending: { ok: true, result: text }, abortReason: undefined, now, maxResultBytes: 1_024 })).toEqual({ kind: "complete", result: text });
    expect(decideOutcome({ entry, job: job(0), ending: { ok: true, result: null }, abortReason: undefined, now, maxResultBytes: 1_024 })).toEqual({ kind: "complete", result: null });
  });

  test("a result completes the job, even one that came in after a shutdown signal", () => {
    expect(decide({ ok: true, result: 1 })).toEqual({ kind: "complete", result: 1 });
    expect(decide({ ok: true, result: 1 }, new ShuttingDown())).toEqual({ kind: "complete", result: 1 });
  });

  test("an error retries with backoff while attempts remain, then fails", () => {
    const error = new Error("x");
    expect(decide({ ok: false, error })).toEqual({ kind: "retry", error, retryAt: now + 1_000 });
    expect(decide({ ok: false, error }, undefined, job(1))).toEqual({ kind: "retry", error, retryAt: now + 2_000 });
    expect(decide({ ok: false, error }, undefined, job(2))).toEqual({ kind: "fail", error });
  });

  test("RetryLater uses its own delay; Unrecoverable fails at once; Cancelled cancels", () => {
    expect(decide({ ok: false, error: new RetryLater(42) })).toMatchObject({ kind: "retry", retryAt: now + 42 });
    expect(decide({ ok: false, error: new RetryLater(42) }, undefined, job(2))).toMatchObject({ kind: "fail" });
    expect(decide({ ok: false, error: new Unrecoverable("bad") })).toMatchObject({ kind: "fail" });
    expect(decide({ ok: false, error: new Cancelled() })).toEqual({ kind: "cancel" });
  });

  test("ctx.rateLimited (RateLimited) hands the job back with its pause, on any attempt, clamped to 1 ms .. 1 day", () => {
    expect(decide({ ok: false, error: new RateLimited(1_500) })).toEqual({ kind: "throttle", pauseMs: 1_500 });
    expect(decide({ ok: false, error: new RateLimited(1_500) }, undefined, job(2))).toEqual({ kind: "throttle", pauseMs: 1_500 });
    expect(decide({ ok: false, error: new RateLimited(Number.NaN) })).toEqual({ kind: "throttle", pauseMs: 1 });
    expect(decide({ ok: false, error: new RateLimited(1e15) })).toEqual({ kind: "throttle", pauseMs: 86_400_000 });
  });

  test("abort reasons: lost lease drops, shutdown releases, timeout is a failed try", () => {
    expect(decide({ ok: false, error: new Error("aborted") }, new Cancelled("lease lost"))).toEqual({ kind: "drop" });
    expect(decide({ ok: true, result: 1 }, new Cancelled("lease lost"))).toEqual({ kind: "drop" });
    expect(decide({ ok: false, error: new Error("aborted") }, new ShuttingDown())).toEqual({ kind: "release" });
    const timeout = decide({ ok: false, error: new Error("aborted") }, new TimedOut(500));
    expect(timeout).toMatchObject({ kind: "retry" });
    expect((timeout as { error: Error }).error.message).toBe("timed out after 500 ms");
  });

  test("a job whose module is not loaded here fails without retry", () => {
    expect(decideOutcome({ entry: undefined, job: job(0), ending: { ok: false, error: new Error("no module") }, abortReason: undefined, now })).toMatchObject({ kind: "fail" });
  });
});
