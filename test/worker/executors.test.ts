/**
 * The executors of thread and process modes, driven directly (no store):
 * each try comes back as the same TryEnding async mode gives, ctx crosses
 * the channel, job modules load once per host, and a try that spins,
 * exits, throws from a timer or hogs memory ends only itself while its
 * host is replaced. Timings asserted here are generous bounds; the bench
 * measures the real costs.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { silentLogger } from "../../src/core/logger.ts";
import type { JobEntry } from "../../src/registry/job-entry.ts";
import { Registry } from "../../src/registry/registry.ts";
import { controlKind, ShuttingDown } from "../../src/sdk/errors.ts";
import type { ReservedJob } from "../../src/store/store.ts";
import type { TryEnding } from "../../src/worker/execute.ts";
import { Executors, type Executor } from "../../src/worker/executors/executor.ts";
import { TryAbort } from "../../src/worker/try-abort.ts";

let registry: Registry;
let entry: JobEntry;
let nextId = 1;

beforeAll(async () => {
  registry = (await Registry.load({ dir: join(import.meta.dir, "../fixtures/mode-jobs"), queues: ["default"] })).assertValid();
  entry = registry.get("modal");
});

interface Seen {
  progress: { pct: number; msg?: string }[];
  logs: { level: string; msg: string; fields?: Record<string, unknown> }[];
  enqueued: { name: string; payload: unknown; opts?: unknown }[];
}

function job(data: unknown, attemptsMade = 0): ReservedJob {
  const id = String(nextId++);
  return { id, name: "modal", queue: "default", data, attemptsMade, maxAttempts: 3, stalls: 0, lease: { token: 1, workerId: "w", until: 0 } } as unknown as ReservedJob;
}

async function tryOn(executor: Executor, data: unknown, o: { timeoutMs?: number; maxMemoryMb?: number; graceMs?: number; controller?: TryAbort } = {}): Promise<{ ending: TryEnding; seen: Seen; ms: number }> {
  const seen: Seen = { progress: [], logs: [], enqueued: [] };
  const line = (level: string) => (msg: string, fields?: Record<string, unknown>) => seen.logs.push({ level, msg, fields });
  const t0 = performance.now();
  const ending = await executor.run({
    entry: { ...entry, timeoutMs: o.timeoutMs ?? entry.timeoutMs, maxMemoryMb: o.maxMemoryMb },
    job: job(data),
    controller: o.controller ?? new TryAbort(),
    abandonAfterMs: o.graceMs ?? 300,
    log: { debug: line("debug"), info: line("info"), warn: line("warn"), error: line("error") },
    progress: (pct, msg) => seen.progress.push({ pct, msg }),
    enqueue: async (name, payload, opts) => {
      seen.enqueued.push({ name, payload, opts });
      return "4242";
    },
  });
  return { ending, seen, ms: performance.now() - t0 };
}

const result = (e: TryEnding) => (e.ok ? (e.result as Record<string, any>) : expect.unreachable(`the try failed: ${e.error.message}`));
const failure = (e: TryEnding) => (e.ok ? expect.unreachable("the try succeeded") : e);

for (const mode of ["thread", "process"] as const) {
  describe(`${mode} executor`, () => {
    let executors: Executors;
    let executor: Executor;

    beforeAll(() => {
      executors = new Executors({ mode, concurrency: 2, log: silentLogger });
      executor = executors.for(entry);
    });
    afterAll(() => executors.stop());

    test(`runs the try in a ${mode === "thread" ? "worker thread" : "child process"} with ctx fields as in async mode, loading the module once per host`, async () => {
      const first = result((await tryOn(executor, { action: "ok" })).ending);
      const second = result((await tryOn(executor, { action: "ok" })).ending);
      if (mode === "thread") {
        expect(first.mainThread).toBe(false);
        expect(first.pid).toBe(process.pid);
      } else {
        expect(first.pid).not.toBe(process.pid);
      }
      expect(first.ctx).toEqual({ id: expect.any(String), name: "modal", queue: "default", attempt: 1, maxAttempts: 3 });
      // Same host, same module instance: loaded once, run twice.
      expect(second.loadedAt).toBe(first.loadedAt);
      expect(second.runs).toBe(first.runs + 1);
    });

    test("errors come back as their own kind: RetryLater with its delay, Unrecoverable, a plain error with its name and stack", async () => {
      const later = failure((await tryOn(executor, { action: "retry-later" })).ending);
      expect(controlKind(later.error)).toBe("retry-later");
      expect((later.error as unknown as { delayMs: number }).delayMs).toBe(1234);
      expect(later.error.message).toBe("try again soon");
      expect(controlKind(failure((await tryOn(executor, { action: "unrecoverable" })).ending).error)).toBe("unrecoverable");
      const plain = failure((await tryOn(executor, { action: "throw" })).ending);
      expect(plain.error.name).toBe("TypeError");
      expect(plain.error.message).toBe("plain failure");
      expect(plain.error.stack).toContain("modal.ts");
      expect(plain.crashed).toBeUndefined();
    });

    test("a payload that fails the schema is Unrecoverable; a result that is not JSON fails the try", async () => {
      const bad = failure((await tryOn(executor, { action: "nope" })).ending);
      expect(controlKind(bad.error)).toBe("unrecoverable");
      expect(bad.error.message).toContain("does not match its schema");
      expect(failure((await tryOn(executor, { action: "bad-result" })).ending).error.message).toContain("not JSON-serialisable");
    });

    test("ctx.progress, ctx.log and ctx.enqueue reach the parent; the follow-up's id comes back to the job", async () => {
      const { ending, seen } = await tryOn(executor, { action: "ctx" });
      expect(result(ending)).toEqual({ next: "4242" });
      expect(seen.progress).toEqual([{ pct: 40, msg: "rendering" }]);
      expect(seen.logs[0]).toEqual({ level: "info", msg: "sending", fields: { to: "a@b.co" } });
      expect(seen.logs[1]).toEqual({ level: "warn", msg: "odd fields", fields: { note: "fields could not be stored as JSON" } });
      expect(seen.enqueued).toEqual([{ name: "modal", payload: { action: "ok" }, opts: { in: 60 } }]);
    });

    test("a try that spins past its timeout is stopped after the grace and fails as timed out, and the next try completes (within 5 s)", async () => {
      const { ending, seen, ms } = await tryOn(executor, { action: "spin" }, { timeoutMs: 300, graceMs: 200 });
      const f = failure(ending);
      expect(controlKind(f.error)).toBe("timed-out");
      expect(f.error.message).toBe("timed out after 300 ms");
      expect(f.crashed).toBeUndefined();
      expect(ms).toBeGreaterThanOrEqual(490);
      expect(ms).toBeLessThan(5_000);
      expect(seen.logs.at(-1)!.msg).toContain("was stopped after a 200 ms grace");
      expect(result((await tryOn(executor, { action: "ok" })).ending).ctx.name).toBe("modal");
    });

    test("a job that honours its signal ends at the timeout with TimedOut, and its host is kept", async () => {
      const { ending, ms } = await tryOn(executor, { action: "honour-abort" }, { timeoutMs: 200, graceMs: 5_000 });
      expect(controlKind(failure(ending).error)).toBe("timed-out");
      expect(ms).toBeLessThan(2_000);
    });

    test("process.exit(3) in the job ends only its try, as crashed, naming the exit code; the pool replaces the host", async () => {
      const { ending, seen } = await tryOn(executor, { action: "exit" });
      const f = failure(ending);
      expect(f.crashed).toBe(true);
      expect(f.error.message).toContain("exited with code 3");
      expect(seen.logs.at(-1)).toMatchObject({ level: "error", msg: expect.stringContaining("counts as a stall") });
      expect(result((await tryOn(executor, { action: "ok" })).ending).ctx.name).toBe("modal");
    });

    test("an error thrown from a timer inside the job kills only its host: the try ends crashed", async () => {
      const f = failure((await tryOn(executor, { action: "throw-later" })).ending);
      expect(f.crashed).toBe(true);
      expect(result((await tryOn(executor, { action: "ok" })).ending).ctx.name).toBe("modal");
    });

    test("shutdown while the try runs: the abort reaches the job inside the host", async () => {
      const controller = new TryAbort();
      const running = tryOn(executor, { action: "honour-abort" }, { controller, timeoutMs: 30_000 });
      setTimeout(() => controller.abort(new ShuttingDown()), 100);
      expect(controlKind(failure((await running).ending).error)).toBe("shutting-down");
    });
  });
}

describe("module loading in a host", () => {
  test("a module's first load on a host is not charged to the try's timeout; one that never loads times out after the load allowance", async () => {
    const slow = (await Registry.load({ dir: join(import.meta.dir, "../fixtures/load-jobs"), queues: ["default"] })).assertValid();
    const executors = new Executors({ mode: "async", concurrency: 2, log: silentLogger, moduleLoadMs: 1_000 });
    const line = () => () => {};
    const run = (name: string) =>
      executors.for(slow.get(name)).run({
        entry: slow.get(name),
        job: { ...job({}), name } as ReservedJob,
        controller: new TryAbort(),
        abandonAfterMs: 200,
        log: { debug: line(), info: line(), warn: line(), error: line() },
        progress() {},
        enqueue: async () => "0",
      });
    try {
      // 600 ms to load, 300 ms timeout: the try itself is quick, so it completes.
      expect(await run("slow-load")).toEqual({ ok: true, result: "loaded and ran" });
      const t0 = performance.now();
      const hung = failure(await run("never-loads"));
      expect(hung.error.message).toBe("timed out after 300 ms");
      // 300 ms timeout + 1 s load allowance + 200 ms grace.
      expect(performance.now() - t0).toBeGreaterThanOrEqual(1_450);
    } finally {
      await executors.stop();
    }
  }, 30_000);
});

describe("maxMemoryMb", () => {
  test("process mode: a try whose child passes maxMemoryMb is stopped and fails naming the limit (within 20 s)", async () => {
    const executors = new Executors({ mode: "process", concurrency: 1, log: silentLogger });
    try {
      const { ending } = await tryOn(executors.for(entry), { action: "hog" }, { maxMemoryMb: 200, timeoutMs: 20_000 });
      const f = failure(ending);
      expect(f.error.name).toBe("MemoryLimitExceeded");
      expect(f.error.message).toContain("more than its maxMemoryMb of 200");
      expect(f.crashed).toBeUndefined();
    } finally {
      await executors.stop();
    }
  }, 30_000);

  test("thread mode: a try that grows the process past maxMemoryMb is stopped and fails, saying threads share memory (within 20 s)", async () => {
    const executors = new Executors({ mode: "thread", concurrency: 1, log: silentLogger });
    try {
      const { ending } = await tryOn(executors.for(entry), { action: "hog" }, { maxMemoryMb: 200, timeoutMs: 20_000 });
      const f = failure(ending);
      expect(f.error.name).toBe("MemoryLimitExceeded");
      expect(f.error.message).toContain("threads share memory");
    } finally {
      await executors.stop();
    }
  }, 30_000);
});
