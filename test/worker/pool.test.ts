import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { systemClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { LocalOperations } from "../../src/ops/local.ts";
import { Registry } from "../../src/registry/registry.ts";
import { MemoryStore } from "../../src/store/memory/memory-store.ts";
import { WorkerPool } from "../../src/worker/pool.ts";
import { waitFor, within } from "../helpers/wait.ts";
import { EventLog } from "../helpers/event-log.ts";
import type { PoolEvents } from "../../src/worker/pool.ts";

const QUEUES = ["critical", "default", "low"];
let registry: Registry;
let store: MemoryStore;
let ops: LocalOperations;
let pool: WorkerPool;
let events: EventLog<PoolEvents>;

function makePool(extra: Partial<ConstructorParameters<typeof WorkerPool>[0]> = {}) {
  const made = new WorkerPool({
    store,
    registry,
    clock: systemClock,
    log: silentLogger,
    queues: QUEUES,
    concurrency: 4,
    leaseMs: 30_000,
    abandonAfterMs: 200,
    enqueue: async (name, data, o) => (await ops.enqueue([{ name, data, ...o }]))[0].id,
    ...extra,
  });
  events = new EventLog(made.events, ["job:start", "job:end"]);
  return made;
}

const enqueue = async (data: unknown, extra: Record<string, unknown> = {}) => (await ops.enqueue([{ name: "behave", data, ...extra }]))[0].id;
const ended = (id: string) => events.next("job:end", (e) => e.id === id);
const started = (id: string) => events.next("job:start", (e) => e.id === id);

describe("WorkerPool (async mode, memory store)", () => {
  beforeEach(async () => {
    registry = (await Registry.load({ dir: join(import.meta.dir, "../fixtures/pool-jobs"), queues: QUEUES })).assertValid();
    store = new MemoryStore(systemClock);
    ops = new LocalOperations({ store, clock: systemClock, registry });
    pool = makePool();
  });

  afterEach(async () => {
    await pool.stop(0);
  });

  test("runs a job and stores its result", async () => {
    pool.start();
    const id = await enqueue({ action: "ok" });
    const end = await ended(id);
    expect(end.outcome).toBe("complete");
    const job = await waitFor(async () => ((await store.getJob(id))?.state === "completed" ? store.getJob(id) : undefined));
    expect(job!.result).toEqual({ attempt: 1 });
    expect(job!.attemptsMade).toBe(1);
  });

  test("a failing job is retried with its backoff, then lands in the failed set", async () => {
    pool.start();
    const id = await enqueue({ action: "throw" });
    expect((await ended(id)).outcome).toBe("retry");
    const after1 = (await store.getJob(id))!;
    expect(after1.state).toBe("delayed");
    // Backoff counts from the end of the try; the store stamps the error a moment later, when it writes it.
    expect(after1.runAt - after1.errors[0].at).toBeGreaterThan(900);
    expect(after1.runAt - after1.errors[0].at).toBeLessThanOrEqual(1_000);
    expect(after1.errors[0].message).toBe("boom 1");
    // Fixed 1 s backoff: tries 2 and 3 follow on the real clock.
    const second = await ended(id);
    expect(second.outcome).toBe("retry");
    const third = await ended(id);
    expect(third.outcome).toBe("fail");
    const dead = (await store.getJob(id))!;
    expect(dead.state).toBe("failed");
    expect(dead.errors.map((e) => e.message)).toEqual(["boom 1", "boom 2", "boom 3"]);
    expect(dead.errors.map((e) => e.attempt)).toEqual([1, 2, 3]);
  });

  test("Unrecoverable fails at once; RetryLater delays by its own delay", async () => {
    pool.start();
    const bad = await enqueue({ action: "unrecoverable" });
    expect((await ended(bad)).outcome).toBe("fail");
    expect((await store.getJob(bad))!).toMatchObject({ state: "failed", attemptsMade: 1 });
    const later = await enqueue({ action: "retry-later", ms: 60_000 });
    expect((await ended(later)).outcome).toBe("retry");
    const job = (await store.getJob(later))!;
    expect(job.state).toBe("delayed");
    expect(job.runAt - job.errors[0].at).toBeGreaterThan(59_900);
    expect(job.runAt - job.errors[0].at).toBeLessThanOrEqual(60_000);
  });

  test("a job that throws Cancelled ends cancelled, not failed", async () => {
    pool.start();
    const id = await enqueue({ action: "cancel-self" });
    expect((await ended(id)).outcome).toBe("cancel");
    expect((await store.getJob(id))!.state).toBe("cancelled");
  });

  test("a payload that no longer matches the schema fails without retries", async () => {
    pool.start();
    const [{ id }] = await store.enqueue({ jobs: [{ name: "behave", queue: "default", data: { action: "dance" }, maxAttempts: 3 }], now: Date.now() });
    expect((await ended(id)).outcome).toBe("fail");
    const job = (await store.getJob(id))!;
    expect(job.state).toBe("failed");
    expect(job.errors[0].message).toContain("action");
  });

  test("the timeout aborts ctx.signal and counts as a failed try", async () => {
    pool.start();
    const id = await enqueue({ action: "hang" }, { attempts: 1 });
    const end = await within(ended(id), 10_000, "timed-out job to end");
    expect(end.outcome).toBe("fail");
    expect((await store.getJob(id))!.errors[0].message).toContain("timed out after 2s");
  });

  test("a job that throws Cancelled after its lease passed to another worker does not cancel that worker's run", async () => {
    pool.start();
    const id = await enqueue({ action: "sleep-then-cancel", ms: 300 });
    await started(id);
    // Meanwhile the job's lease is taken from this pool (as the rescuer does for a worker it thinks dead)
    // and another worker claims it: now 60 s ahead, so this lease has run out.
    const later = Date.now() + 60_000;
    expect((await store.rescueExpired({ maxStalls: 5, limit: 10, now: later })).rescued).toEqual([id]);
    const [theirs] = await store.reserve({ queues: QUEUES, workerId: "other-worker", max: 1, leaseMs: 120_000, now: later });
    expect(theirs.id).toBe(id);
    const end = await ended(id);
    expect(end.outcome).toBe("cancel");
    expect(await store.getJob(id)).toMatchObject({ state: "active", lease: { workerId: "other-worker", token: theirs.lease.token } });
  });

  test("cancelling an active job aborts it at the next lease renewal", async () => {
    pool = makePool({ leaseMs: 300 });
    pool.start();
    const id = await enqueue({ action: "hang" });
    await started(id);
    await ops.cancelJob(id);
    const end = await ended(id);
    expect(end.outcome).toBe("drop");
    expect((await store.getJob(id))!.state).toBe("cancelled");
  });

  test("graceful stop puts running jobs back without spending an attempt", async () => {
    pool.start();
    const id = await enqueue({ action: "hang" });
    await started(id);
    await pool.stop(50);
    const job = (await store.getJob(id))!;
    expect(job).toMatchObject({ state: "waiting", attemptsMade: 0 });
  });

  test("stop waits for running jobs that finish within the grace period", async () => {
    pool.start();
    const id = await enqueue({ action: "ignore-abort", ms: 100 });
    await started(id);
    await pool.stop(5_000);
    expect((await store.getJob(id))!.state).toBe("completed");
  });

  test("ctx.enqueue adds a follow-up job that runs too", async () => {
    pool.start();
    const id = await enqueue({ action: "follow-up" });
    await ended(id);
    const parent = await waitFor(async () => {
      const j = await store.getJob(id);
      return j?.state === "completed" ? j : undefined;
    });
    const childId = (parent.result as { next: string }).next;
    await waitFor(async () => (await store.getJob(childId))?.state === "completed", { what: "follow-up to complete" });
  });

  test("progress is visible while the job runs", async () => {
    pool.start();
    const id = await enqueue({ action: "progress", ms: 300 });
    const seen = await waitFor(async () => (await store.getJob(id))?.progress);
    expect(seen).toEqual({ pct: 50, msg: "half" });
  });

  test("with concurrency 1, queues are served strictly in order", async () => {
    pool = makePool({ concurrency: 1 });
    
    const low = await enqueue({ action: "ok" }, { queue: "low" });
    const def = await enqueue({ action: "ok" });
    const crit = await enqueue({ action: "ok" }, { queue: "critical" });
    const crit0 = await enqueue({ action: "ok" }, { queue: "critical", priority: 0 });
    pool.start();
    await waitFor(() => events.all("job:start").length === 4);
    const order = events.all("job:start").map((e) => e.id);
    expect(order).toEqual([crit, crit0, def, low]);
  });

  test("burst mode drains the ready jobs and resolves `drained`", async () => {
    pool = makePool({ burst: true });
    const ids = await Promise.all(Array.from({ length: 20 }, () => enqueue({ action: "ok" })));
    pool.start();
    await within(pool.drained, 10_000, "burst drain");
    await pool.stop(0);
    for (const id of ids) expect((await store.getJob(id))!.state).toBe("completed");
  });
});
