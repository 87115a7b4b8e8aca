import { describe, expect, test } from "bun:test";
import { DEFAULT_BACKOFF } from "../../src/core/backoff.ts";
import type { JobEntry } from "../../src/registry/job-entry.ts";
import { Cancelled, RetryLater, ShuttingDown, TimedOut, Unrecoverable } from "../../src/sdk/errors.ts";
import type { ReservedJob } from "../../src/store/store.ts";
import { decideOutcome } from "../../src/worker/outcome.ts";

const entry = { backoff: { ...DEFAULT_BACKOFF, jitter: false } } as JobEntry;
const job = (attemptsMade: number, maxAttempts = 3) => ({ attemptsMade, maxAttempts }) as ReservedJob;
const now = 1_000_000;
const decide = (ending: Parameters<typeof decideOutcome>[0]["ending"], abortReason?: unknown, j = job(0)) => decideOutcome({ entry, job: j, ending, abortReason, now });

describe("decideOutcome", () => {
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
