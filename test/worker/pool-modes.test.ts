/**
 * The pool with thread and process modes over the memory store: a job's own
 * `mode` wins over the pool's, ctx reaches the store only through the pool,
 * a host that dies makes a stall (the lease is given up for the rescuer),
 * past maxStalls the job fails naming the crash, a spinning thread job does
 * not hold up async jobs, and `maxJobs` stops after that many jobs.
 */

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { systemClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { LocalOperations } from "../../src/ops/local.ts";
import { Registry } from "../../src/registry/registry.ts";
import { MemoryStore } from "../../src/store/memory/memory-store.ts";
import { WorkerPool, type PoolEvents } from "../../src/worker/pool.ts";
import { EventLog } from "../helpers/event-log.ts";
import { waitFor, within } from "../helpers/wait.ts";

const QUEUES = ["default"];
let registry: Registry;
let store: MemoryStore;
let ops: LocalOperations;
let pool: WorkerPool | undefined;
let events: EventLog<PoolEvents>;

function makePool(extra: Partial<ConstructorParameters<typeof WorkerPool>[0]> = {}): WorkerPool {
  pool = new WorkerPool({
    store,
    registry,
    clock: systemClock,
    log: silentLogger,
    queues: QUEUES,
    concurrency: 8,
    leaseMs: 30_000,
    abandonAfterMs: 200,
    enqueue: async (name, data, o) => (await ops.enqueue([{ name, data, ...o, at: o?.at instanceof Date ? o.at.toISOString() : o?.at }]))[0].id,
    ...extra,
  });
  events = new EventLog(pool.events, ["job:start", "job:end"]);
  return pool;
}

const enqueue = async (name: string, data: unknown) => (await ops.enqueue([{ name, data }]))[0].id;
const ended = (id: string, timeoutMs = 15_000) => events.next("job:end", (e) => e.id === id, timeoutMs);

beforeEach(async () => {
  registry = (await Registry.load({ dir: join(import.meta.dir, "../fixtures/mode-jobs"), queues: QUEUES })).assertValid();
  store = new MemoryStore(systemClock);
  ops = new LocalOperations({ store, clock: systemClock, registry });
});

afterEach(async () => {
  await pool?.stop(0);
  pool = undefined;
});

describe("WorkerPool with thread and process modes", () => {
  test("a thread-mode job's progress, log lines, follow-up and result land in the store", async () => {
    makePool().start();
    const id = await enqueue("in-thread", { action: "ctx" });
    expect((await ended(id)).outcome).toBe("complete");
    const job = (await store.getJob(id))!;
    expect(job.progress).toEqual({ pct: 40, msg: "rendering" });
    expect(job.logs!.map((l) => [l.level, l.msg, l.fields])).toEqual([
      ["info", "sending", { to: "a@b.co" }],
      ["warn", "odd fields", { note: "fields could not be stored as JSON" }],
    ]);
    const next = (job.result as { next: string }).next;
    expect((await store.getJob(next))!).toMatchObject({ name: "modal", state: "delayed" });
  });

  test("the pool's mode applies to jobs that set none; a job's own mode wins", async () => {
    makePool({ execution: { mode: "process" } }).start();
    const viaPool = await enqueue("modal", { action: "ok" });
    const own = await enqueue("in-thread", { action: "ok" });
    await ended(viaPool);
    await ended(own);
    const inChild = (await store.getJob(viaPool))!.result as { pid: number };
    const inThread = (await store.getJob(own))!.result as { pid: number; mainThread: boolean };
    expect(inChild.pid).not.toBe(process.pid);
    expect(inThread).toMatchObject({ pid: process.pid, mainThread: false });
  });

  test("a process-mode job that calls process.exit stalls: its lease is given up, the rescuer puts it back, and past maxStalls it fails naming the exit", async () => {
    makePool({ maxStalls: 1 }).start();
    const id = await enqueue("in-process", { action: "exit" });
    expect((await ended(id)).outcome).toBe("stall");
    // The lease ended with the stall: the rescuer takes the job back at once.
    const rescued = await store.rescueExpired({ maxStalls: 1, limit: 10, now: Date.now() + 1 });
    expect(rescued.rescued).toEqual([id]);
    const second = await ended(id, 30_000);
    expect(second.outcome).toBe("fail");
    const job = (await store.getJob(id))!;
    expect(job.state).toBe("failed");
    expect(job.stalls).toBe(1);
    expect(job.errors.at(-1)!.message).toBe("stalled too many times (2, maxStalls 1): the child process running this try exited with code 3 (process.exit or a crash)");
    expect(job.logs!.map((l) => l.msg)).toContain("the child process running this try exited with code 3 (process.exit or a crash); the try counts as a stall");
  }, 40_000);

  test("a thread job spinning past its 300 ms timeout fails while 100 async jobs beside it complete", async () => {
    makePool({ concurrency: 4 }).start();
    const spin = await enqueue("spin-in-thread", { action: "spin" });
    await events.next("job:start", (e) => e.id === spin);
    const others = await Promise.all(Array.from({ length: 100 }, () => enqueue("modal", { action: "ok" })));
    for (const id of others) expect((await ended(id)).outcome).toBe("complete");
    const end = await ended(spin);
    expect(end.outcome).toBe("fail");
    expect((await store.getJob(spin))!.errors[0].message).toBe("timed out after 300 ms");
  });

  test("maxJobs: the pool starts exactly that many jobs, then resolves `drained`", async () => {
    const ids = await Promise.all(Array.from({ length: 10 }, () => enqueue("modal", { action: "ok" })));
    makePool({ maxJobs: 3 }).start();
    await within(pool!.drained, 10_000, "drain after 3 jobs");
    await pool!.stop(0);
    const states = await Promise.all(ids.map(async (id) => (await store.getJob(id))!.state));
    expect(states.filter((s) => s === "completed").length).toBe(3);
    expect(states.filter((s) => s === "waiting").length).toBe(7);
  });
});
