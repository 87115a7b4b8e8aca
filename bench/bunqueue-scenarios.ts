/**
 * The peer for the memory and SQLite stores: `bunqueue` embedded (queue and
 * worker inside this process, no server), in-memory without `dataPath` and
 * SQLite with one. Default options except worker concurrency 50; note that
 * by default its SQLite mode acknowledges `add`/`addBulk` before the rows are
 * written (a write buffer; `durable: true` per job opts out), while qworker
 * commits before returning.
 */

import { join } from "node:path";
import { Queue, Worker, shutdownManager } from "bunqueue/client";
import { Ends, sampleLatency, StampBoard } from "./latency-tools.ts";
import { cpuMeter, rate, wallNow } from "./stats.ts";
import { payload, QUEUE, type ScenarioParams, type StoreName } from "./types.ts";

for (const v of ["BUNQUEUE_DATA_PATH", "BQ_DATA_PATH", "DATA_PATH", "SQLITE_PATH"]) delete process.env[v];

type Mode = { embedded: true; dataPath?: string };

function modeFor(kind: StoreName, p: ScenarioParams): Mode {
  if (kind === "memory") return { embedded: true };
  if (kind === "sqlite") return { embedded: true, dataPath: join(p.workDir, `bunqueue-${process.pid}-${Date.now()}.db`) };
  throw new Error("bunqueue has no Redis mode");
}

async function counts(q: Queue): Promise<Record<string, number>> {
  return (await q.getJobCountsAsync()) as unknown as Record<string, number>;
}

async function withQueue<T>(kind: StoreName, p: ScenarioParams, fn: (q: Queue, mode: Mode) => Promise<T>): Promise<T> {
  const mode = modeFor(kind, p);
  const q = new Queue(QUEUE, mode);
  try {
    return await fn(q, mode);
  } finally {
    q.close();
    shutdownManager();
  }
}

export function bulk(kind: StoreName, p: ScenarioParams): Promise<Record<string, number>> {
  return withQueue(kind, p, async (q) => {
    const t0 = performance.now();
    for (let i = 0; i < p.jobs; i += p.batch) {
      const n = Math.min(p.batch, p.jobs - i);
      await q.addBulk(Array.from({ length: n }, (_, j) => ({ name: "noop", data: payload(i + j) })));
    }
    const jobsPerSec = rate(p.jobs, performance.now() - t0);
    const c = await counts(q);
    if (c.waiting !== p.jobs) throw new Error(`expected ${p.jobs} waiting, found ${c.waiting}`);
    return { jobsPerSec };
  });
}

export function one(kind: StoreName, p: ScenarioParams): Promise<Record<string, number>> {
  return withQueue(kind, p, async (q) => {
    const t0 = performance.now();
    for (let i = 0; i < p.oneJobs; i++) await q.add("noop", payload(i));
    const jobsPerSec = rate(p.oneJobs, performance.now() - t0);
    const c = await counts(q);
    if (c.waiting !== p.oneJobs) throw new Error(`expected ${p.oneJobs} waiting, found ${c.waiting}`);
    return { jobsPerSec };
  });
}

export function drain(kind: StoreName, p: ScenarioParams, notes: string[]): Promise<Record<string, number>> {
  return withQueue(kind, p, async (q, mode) => {
    for (let i = 0; i < p.jobs; i += 1_000) await q.addBulk(Array.from({ length: Math.min(1_000, p.jobs - i) }, (_, j) => ({ name: "noop", data: payload(i + j) })));
    let done = 0;
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const cpu = await cpuMeter();
    const t0 = performance.now();
    // 'completed' is emitted once the worker's (batched) ack was applied by the queue manager.
    const worker = new Worker(QUEUE, async () => {}, { ...mode, concurrency: p.concurrency });
    worker.on("completed", () => {
      if (++done === p.jobs) finish();
    });
    const capped = await Promise.race([finished.then(() => false), Bun.sleep(p.drainCapMs).then(() => true)]);
    const ms = performance.now() - t0;
    const counted = done;
    const cpuCost = await cpu(counted);
    await worker.close();
    const c = await counts(q);
    if (capped) notes.push(`drain cut at ${p.drainCapMs} ms: ${counted} of ${p.jobs} done`);
    else if (c.completed !== p.jobs) throw new Error(`drain check failed: ${c.completed} completed`);
    return { jobsPerSec: rate(counted, ms), jobs: counted, ...cpuCost };
  });
}

export function latency(kind: StoreName, p: ScenarioParams): Promise<Record<string, number>> {
  return withQueue(kind, p, async (q, mode) => {
    const stamps = new StampBoard();
    const worker = new Worker(
      QUEUE,
      async (job) => {
        const at = wallNow();
        stamps.hook((job.data as { seq: number }).seq, at);
      },
      { ...mode, concurrency: p.concurrency },
    );
    const ends = new Ends();
    worker.on("completed", (job) => ends.end(String(job.id)));
    try {
      await Bun.sleep(300); // started and idle
      return await sampleLatency({
        samples: p.samples,
        pauseMs: p.pauseMs,
        stamps,
        ends,
        enqueue: async (seq) => String((await q.add("stamp", { seq })).id),
      });
    } finally {
      await worker.close();
    }
  });
}
