/**
 * qworker's side of every scenario, through its real parts: `Operations`
 * (the path the CLI, the admin API and `ctx.enqueue` use: request shape and
 * job schema validated, then one `store.enqueue` per call) for enqueues, and
 * a `WorkerPool` over a registry loaded from bench/jobs for drains and
 * latency. The raw `store.enqueue` rate is recorded next to it.
 */

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { LocalOperations } from "../src/ops/local.ts";
import { systemClock } from "../src/core/clock.ts";
import { silentLogger } from "../src/core/logger.ts";
import type { NewJob } from "../src/core/types.ts";
import { Registry } from "../src/registry/registry.ts";
import type { Store } from "../src/store/store.ts";
import { WorkerPool } from "../src/worker/pool.ts";
import { bytesPerJob, flushRedis, redisCpuMs } from "./redis-tools.ts";
import { Ends, sampleLatency, StampBoard } from "./latency-tools.ts";
import { cpuMeter, rate } from "./stats.ts";
import { payload, QUEUE, type ScenarioParams, type StoreName } from "./types.ts";

export const JOBS_DIR = join(import.meta.dir, "jobs");
const QUEUES = [QUEUE];

export interface Qworker {
  store: Store;
  registry: Registry;
  ops: LocalOperations;
  close(): Promise<void>;
}

export async function openQworker(kind: StoreName, p: ScenarioParams, dbPath?: string): Promise<Qworker> {
  const registry = (await Registry.load({ dir: JOBS_DIR, queues: QUEUES })).assertValid();
  let store: Store;
  if (kind === "memory") {
    const { MemoryStore } = await import("../src/store/memory/memory-store.ts");
    store = new MemoryStore(systemClock);
  } else if (kind === "sqlite") {
    const { SqliteStore } = await import("../src/store/sqlite/sqlite-store.ts");
    store = new SqliteStore({ path: dbPath ?? join(p.workDir, `qworker-${process.pid}-${Date.now()}.db`), clock: systemClock });
  } else {
    const { RedisStore } = await import("../src/store/redis/redis-store.ts");
    if (!p.redisUrl) throw new Error("the redis store needs --redis-url");
    await flushRedis(p.redisUrl);
    store = new RedisStore({ url: p.redisUrl, prefix: "qwbench", clock: systemClock });
  }
  await store.open();
  return { store, registry, ops: new LocalOperations({ store, clock: systemClock, registry }), close: () => store.close() };
}

export function makePool(q: Qworker, concurrency: number, workerId?: string): WorkerPool {
  return new WorkerPool({
    workerId,
    store: q.store,
    registry: q.registry,
    clock: systemClock,
    log: silentLogger,
    queues: QUEUES,
    concurrency,
    leaseMs: 30_000,
    enqueue: async (name, data) => (await q.ops.enqueue([{ name, data }]))[0].id,
  });
}

const newJob = (i: number): NewJob => ({ name: "noop", queue: QUEUE, data: payload(i), maxAttempts: 3 });

export async function bulk(kind: StoreName, p: ScenarioParams): Promise<Record<string, number>> {
  const q = await openQworker(kind, p);
  try {
    let t0 = performance.now();
    for (let i = 0; i < p.jobs; i += p.batch) {
      const n = Math.min(p.batch, p.jobs - i);
      await q.ops.enqueue(Array.from({ length: n }, (_, j) => ({ name: "noop", data: payload(i + j) })));
    }
    const opsRate = rate(p.jobs, performance.now() - t0);
    await verifyWaiting(q.store, p.jobs);
    // The same again straight into the store, to show what validation costs.
    t0 = performance.now();
    for (let i = 0; i < p.jobs; i += p.batch) {
      const n = Math.min(p.batch, p.jobs - i);
      await q.store.enqueue({ jobs: Array.from({ length: n }, (_, j) => newJob(p.jobs + i + j)), now: Date.now() });
    }
    const storeRate = rate(p.jobs, performance.now() - t0);
    await verifyWaiting(q.store, 2 * p.jobs);
    return { jobsPerSec: opsRate, storeJobsPerSec: storeRate };
  } finally {
    await q.close();
  }
}

export async function one(kind: StoreName, p: ScenarioParams): Promise<Record<string, number>> {
  const q = await openQworker(kind, p);
  try {
    const t0 = performance.now();
    for (let i = 0; i < p.oneJobs; i++) await q.ops.enqueue([{ name: "noop", data: payload(i) }]);
    const jobsPerSec = rate(p.oneJobs, performance.now() - t0);
    await verifyWaiting(q.store, p.oneJobs);
    return { jobsPerSec };
  } finally {
    await q.close();
  }
}

export async function drain(kind: StoreName, p: ScenarioParams, notes: string[]): Promise<Record<string, number>> {
  if (kind === "redis") return drainProcess(p);
  const q = await openQworker(kind, p);
  try {
    for (let i = 0; i < p.jobs; i += 1_000) await q.store.enqueue({ jobs: Array.from({ length: Math.min(1_000, p.jobs - i) }, (_, j) => newJob(i + j)), now: Date.now() });
    await verifyWaiting(q.store, p.jobs);
    const pool = makePool(q, p.concurrency);
    let done = 0;
    let notCompleted = 0;
    let firstProblem = "";
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    // job:end comes after the pool awaited its (batched) store.complete, so the completion is stored.
    pool.events.on("job:end", (e) => {
      if (e.outcome !== "complete") {
        notCompleted++;
        firstProblem ||= `${e.outcome}: ${e.error ?? "?"}`;
      }
      if (++done === p.jobs) finish();
    });
    const cpu = await cpuMeter();
    const t0 = performance.now();
    pool.start();
    const capped = await Promise.race([finished.then(() => false), Bun.sleep(p.drainCapMs).then(() => true)]);
    const ms = performance.now() - t0;
    const counted = done;
    const cpuCost = await cpu(counted);
    await pool.stop(5_000);
    const [counts] = await q.store.counts(QUEUES);
    if (capped) notes.push(`drain cut at ${p.drainCapMs} ms: ${counted} of ${p.jobs} done`);
    else if (counts.completed !== p.jobs || notCompleted) throw new Error(`drain check failed: ${counts.completed} completed in the store, ${notCompleted} not completed${firstProblem ? ` (first: ${firstProblem})` : ""}`);
    return { jobsPerSec: rate(counted, ms), jobs: counted, ...cpuCost };
  } finally {
    await q.close();
  }
}

/**
 * The Redis drain as a user runs it: `qworker run --burst --role worker
 * --concurrency 50` (the compiled binary, default settings, logs included)
 * timed from spawn to exit, its CPU time from the kernel's rusage.
 */
async function drainProcess(p: ScenarioParams): Promise<Record<string, number>> {
  if (!p.binary) throw new Error("the Redis drain needs the compiled binary (params.binary)");
  const q = await openQworker("redis", p);
  try {
    for (let i = 0; i < p.drainJobs; i += 1_000) {
      await q.store.enqueue({ jobs: Array.from({ length: Math.min(1_000, p.drainJobs - i) }, (_, j) => newJob(i + j)), now: Date.now() });
    }
    await verifyWaiting(q.store, p.drainJobs);
    const config = join(p.workDir, `qworker-drain-${process.pid}.json`);
    writeFileSync(config, JSON.stringify({ queues: QUEUES, jobs: JOBS_DIR, store: { backend: "redis", redisUrl: p.redisUrl, redisPrefix: "qwbench" } }));
    const redis0 = await redisCpuMs(p.redisUrl!);
    const t0 = performance.now();
    const proc = Bun.spawn([p.binary, "run", "--burst", "--role", "worker", "--concurrency", String(p.concurrency), "--config", config], {
      cwd: p.workDir,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: p.workDir },
      stdin: "ignore",
      stdout: "ignore",
      stderr: "pipe",
    });
    const timer = setTimeout(() => proc.kill("SIGKILL"), p.drainCapMs);
    const stderr = await new Response(proc.stderr).text();
    const code = await proc.exited;
    clearTimeout(timer);
    const ms = performance.now() - t0;
    const redisMs = (await redisCpuMs(p.redisUrl!)) - redis0;
    const usage = proc.resourceUsage();
    const [counts] = await q.store.counts(QUEUES);
    if (code !== 0 || counts.completed !== p.drainJobs) {
      throw new Error(`qworker run --burst exited ${code} with ${counts.completed} of ${p.drainJobs} completed; stderr: ${stderr.slice(-300)}`);
    }
    const cpuUs = usage ? Number(usage.cpuTime.total) : Number.NaN;
    return { jobsPerSec: rate(p.drainJobs, ms), jobs: p.drainJobs, cpuUsPerJob: cpuUs / p.drainJobs, redisCpuUsPerJob: (redisMs * 1000) / p.drainJobs, workerRssMb: (usage?.maxRSS ?? Number.NaN) / 1024 / 1024, wallMs: ms };
  } finally {
    await q.close();
  }
}

/** Enqueue-to-start on an idle in-process pool: one job at a time, timed to the job body's first line. */
export async function latency(kind: StoreName, p: ScenarioParams): Promise<Record<string, number>> {
  const q = await openQworker(kind, p);
  const pool = makePool(q, p.concurrency);
  const stamps = new StampBoard();
  (globalThis as { __qwBenchStamp?: unknown }).__qwBenchStamp = stamps.hook;
  try {
    const idle = pool.events.once("pool:idle", () => true, 10_000);
    pool.start();
    await idle;
    const ends = new Ends();
    pool.events.on("job:end", (e) => ends.end(e.id));
    return await sampleLatency({
      samples: p.samples,
      pauseMs: p.pauseMs,
      stamps,
      ends,
      enqueue: async (seq) => (await q.ops.enqueue([{ name: "stamp", data: { seq } }]))[0].id,
    });
  } finally {
    await pool.stop(1_000);
    await q.close();
  }
}

export async function redismem(p: ScenarioParams): Promise<Record<string, number>> {
  const q = await openQworker("redis", p);
  try {
    const fill = async (from: number, n: number) => {
      for (let i = 0; i < n; i += p.batch) await q.store.enqueue({ jobs: Array.from({ length: Math.min(p.batch, n - i) }, (_, j) => newJob(from + i + j)), now: Date.now() });
    };
    const bytes = await bytesPerJob(p.redisUrl!, p.memJobs, () => fill(0, 10), () => fill(100, p.memJobs));
    await verifyWaiting(q.store, p.memJobs);
    return { bytesPerJob: bytes };
  } finally {
    await q.close();
  }
}

async function verifyWaiting(store: Store, n: number): Promise<void> {
  const [c] = await store.counts(QUEUES);
  if (c.waiting !== n) throw new Error(`expected ${n} waiting jobs in the store, found ${c.waiting}`);
}
