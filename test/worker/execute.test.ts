/**
 * One async try (execute.ts) with its cheap parts: the shared deadline
 * timer (deadlines.ts), the AbortSignal made on first use (try-abort.ts)
 * and `ctx.log` made on first use (job-try.ts). Each test checks that the
 * guarantee still holds however late the job looks: timeouts fire, the
 * signal aborts with the right reason, a job ignoring it is written off
 * after the grace, and ctx works destructured.
 */

import { describe, expect, test } from "bun:test";
import type { Logger } from "../../src/core/logger.ts";
import type { JobEntry } from "../../src/registry/job-entry.ts";
import type { JobContext } from "../../src/sdk/define-job.ts";
import { controlKind, ShuttingDown } from "../../src/sdk/errors.ts";
import type { ReservedJob, Store } from "../../src/store/store.ts";
import { Deadlines } from "../../src/worker/deadlines.ts";
import { executeTry, type TryEnding } from "../../src/worker/execute.ts";
import { JobTry } from "../../src/worker/job-try.ts";
import { TryAbort } from "../../src/worker/try-abort.ts";

let nextId = 1;

function entryOf(run: (payload: unknown, ctx: JobContext) => unknown, timeoutMs = 5_000): JobEntry {
  return { name: "t", file: "t.ts", module: "t.ts", queue: "default", attempts: 3, backoff: { type: "fixed", delayMs: 0 }, timeoutMs, priority: 0, run } as unknown as JobEntry;
}

function jobOf(): ReservedJob {
  return { id: String(nextId++), name: "t", queue: "default", data: { n: 1 }, attemptsMade: 0, maxAttempts: 3, stalls: 0, errors: [], lease: { workerId: "w", token: 1, until: 0 } } as unknown as ReservedJob;
}

/** A logger that counts the children made (one per try that logs) and keeps the lines. */
function countingLogger() {
  const lines: { msg: string; fields?: Record<string, unknown> }[] = [];
  let children = 0;
  const make = (base: Record<string, unknown>): Logger => ({
    debug: (msg, fields) => lines.push({ msg, fields: { ...base, ...fields } }),
    info: (msg, fields) => lines.push({ msg, fields: { ...base, ...fields } }),
    warn: (msg, fields) => lines.push({ msg, fields: { ...base, ...fields } }),
    error: (msg, fields) => lines.push({ msg, fields: { ...base, ...fields } }),
    child: (fields) => {
      children++;
      return make({ ...base, ...fields });
    },
  });
  return { log: make({}), lines, children: () => children };
}

const appended: unknown[] = [];
const fakeStore = {
  appendLogs: async (p: unknown) => void appended.push(p),
  progress: async () => {},
} as unknown as Store;

function tryOf(entry: JobEntry, log = countingLogger().log, abandonAfterMs = 200): JobTry {
  return new JobTry(jobOf(), entry, { store: fakeStore, log, abandonAfterMs, jobLogLines: 200, enqueue: async () => "9" }, performance.now());
}

const failure = (e: TryEnding) => (e.ok ? expect.unreachable("the try succeeded") : e);

describe("an async try", () => {
  test("a job that never reads ctx.signal or ctx.log costs no AbortController and no logger, and completes", async () => {
    const logger = countingLogger();
    const t = tryOf(entryOf(async (p) => p), logger.log);
    expect(await executeTry(t)).toEqual({ ok: true, result: { n: 1 } });
    expect(logger.children()).toBe(0);
    expect((t.controller as unknown as { controller?: AbortController }).controller).toBeUndefined();
  });

  test("the timeout aborts ctx.signal with TimedOut, for a job that took the signal at once and for one that looks only after", async () => {
    const early = tryOf(
      entryOf(
        (_p, ctx) =>
          new Promise((_resolve, reject) => {
            ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason), { once: true });
          }),
        50,
      ),
    );
    const t0 = performance.now();
    const e = failure(await executeTry(early));
    expect(controlKind(e.error)).toBe("timed-out");
    expect(e.error.message).toBe("timed out after 50 ms");
    // Generous bound (a busy shared machine): the timeout fires, and not a grace period later.
    expect(performance.now() - t0).toBeLessThan(1_000);

    const late = tryOf(
      entryOf(async (_p, ctx) => {
        await new Promise((r) => setTimeout(r, 120));
        // Made only now, after the timeout: it must already be aborted, with the timeout's reason.
        return { aborted: ctx.signal.aborted, kind: controlKind(ctx.signal.reason) };
      }, 30),
    );
    // The job returns within the grace: a completed result that saw the abort.
    expect(await executeTry(late)).toEqual({ ok: true, result: { aborted: true, kind: "timed-out" } });
  });

  test("a job that ignores its aborted signal is written off after the grace, while other tries keep their own deadlines", async () => {
    const stuck = tryOf(entryOf(() => new Promise(() => {}), 40), undefined, 100);
    const quick = tryOf(entryOf(async () => "ok", 10_000));
    const t0 = performance.now();
    const [e, q] = await Promise.all([executeTry(stuck), executeTry(quick)]);
    expect(q).toEqual({ ok: true, result: "ok" });
    const f = failure(e);
    expect(f.abandoned).toBe(true);
    expect(controlKind(f.error)).toBe("timed-out");
    // 40 ms timeout + 100 ms grace; generous upper bound for a busy machine.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(130);
    expect(performance.now() - t0).toBeLessThan(2_000);
  });

  test("an abort from the pool (shutdown) before the job looks reaches a signal made later, and the grace still applies", async () => {
    const t = tryOf(
      entryOf(async (_p, ctx) => {
        await new Promise((r) => setTimeout(r, 30));
        if (ctx.signal.aborted) throw ctx.signal.reason;
        return "not aborted";
      }),
    );
    const running = executeTry(t);
    t.controller.abort(new ShuttingDown());
    expect(controlKind(failure(await running).error)).toBe("shutting-down");
  });

  test("ctx works destructured: signal, log, progress and enqueue; ctx.log makes one child logger carrying the job's fields", async () => {
    const logger = countingLogger();
    const t = tryOf(
      entryOf(async (_p, { signal, log, progress, enqueue, attempt }) => {
        log.info("hello", { x: 1 });
        log.warn("again");
        progress(50);
        return { aborted: signal.aborted, id: await enqueue("next", {}), attempt };
      }),
      logger.log,
    );
    expect(await executeTry(t)).toEqual({ ok: true, result: { aborted: false, id: "9", attempt: 1 } });
    expect(logger.children()).toBe(1);
    expect(logger.lines[0]).toEqual({ msg: "hello", fields: { job: "t", id: t.job.id, queue: "default", attempt: 1, x: 1 } });
    await t.flushLog();
    expect(appended.at(-1)).toMatchObject({ id: t.job.id, token: 1, lines: [{ msg: "hello" }, { msg: "again" }] });
  });

  test("a job that throws synchronously, or returns what JSON cannot hold, fails its try", async () => {
    expect(failure(await executeTry(tryOf(entryOf(() => { throw new Error("sync boom"); })))).error.message).toBe("sync boom");
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(controlKind(failure(await executeTry(tryOf(entryOf(async () => cyclic)))).error)).toBe("unrecoverable");
  });
});

describe("Deadlines", () => {
  test("many deadlines on one timer fire in time order; a removed one never fires; an earlier one added later re-arms the timer", async () => {
    const d = new Deadlines();
    const fired: string[] = [];
    const at = (ms: number, name: string) => ({ at: performance.now() + ms, fire: () => fired.push(name) });
    const late = at(120, "late");
    const removed = at(40, "removed");
    d.add(late);
    d.add(removed);
    d.add(at(80, "middle"));
    d.add(at(20, "early"));
    d.remove(removed);
    await new Promise((r) => setTimeout(r, 250));
    expect(fired).toEqual(["early", "middle", "late"]);
    expect(d.size).toBe(0);
  });

  test("a deadline added from another's fire() is kept, and a sweep that fires early re-arms instead of losing it", async () => {
    const d = new Deadlines();
    const fired: string[] = [];
    d.add({ at: performance.now() + 10, fire: () => (fired.push("first"), d.add({ at: performance.now() + 30, fire: () => fired.push("chained") })) });
    await new Promise((r) => setTimeout(r, 150));
    expect(fired).toEqual(["first", "chained"]);
  });
});

describe("TryAbort", () => {
  test("the first reason stays; the hook runs once; a signal made after the abort is already aborted with that reason", () => {
    const a = new TryAbort();
    let hooked = 0;
    a.onAbort(() => hooked++);
    a.abort(new ShuttingDown());
    a.abort(new Error("second"));
    expect(hooked).toBe(1);
    expect(a.aborted).toBe(true);
    expect(controlKind(a.reason)).toBe("shutting-down");
    expect(a.signal.aborted).toBe(true);
    expect(controlKind(a.signal.reason)).toBe("shutting-down");
    let late = 0;
    a.onAbort(() => late++);
    expect(late).toBe(1);
  });

  test("a signal taken before the abort fires its listeners", () => {
    const a = new TryAbort();
    const seen: unknown[] = [];
    a.signal.addEventListener("abort", () => seen.push(a.signal.reason));
    a.abort("why");
    expect(seen).toEqual(["why"]);
  });
});
