/**
 * The peer for the Redis store: BullMQ on the same private redis-server,
 * flushed before each child. Default options (completed jobs are kept, as
 * qworker keeps them for retention) except worker concurrency 50:
 * bulk = `queue.addBulk`, one-by-one = `queue.add`, drain =
 * `new Worker(name, async () => {}, { concurrency: 50 })`, latency = time to
 * the processor's first line on an idle (blocked) worker.
 */

import { Queue, Worker } from "bullmq";
import { Ends, sampleLatency, StampBoard } from "./latency-tools.ts";
import { bytesPerJob, flushRedis, redisCpuMs } from "./redis-tools.ts";
import { cpuMeter, rate, wallNow } from "./stats.ts";
import { payload, QUEUE, type ScenarioParams } from "./types.ts";

function connection(p: ScenarioParams) {
  if (!p.redisUrl) throw new Error("BullMQ needs --redis-url");
  const u = new URL(p.redisUrl);
  return { host: u.hostname, port: Number(u.port), maxRetriesPerRequest: null };
}

async function withQueue<T>(p: ScenarioParams, fn: (q: Queue) => Promise<T>): Promise<T> {
  await flushRedis(p.redisUrl!);
  const q = new Queue(QUEUE, { connection: connection(p) });
  await q.waitUntilReady();
  try {
    return await fn(q);
  } finally {
    await q.close();
  }
}

const bulkOf = (from: number, n: number) => Array.from({ length: n }, (_, j) => ({ name: "noop", data: payload(from + j) }));

export function bulk(p: ScenarioParams): Promise<Record<string, number>> {
  return withQueue(p, async (q) => {
    const t0 = performance.now();
    for (let i = 0; i < p.jobs; i += p.batch) await q.addBulk(bulkOf(i, Math.min(p.batch, p.jobs - i)));
    const jobsPerSec = rate(p.jobs, performance.now() - t0);
    const waiting = await q.getWaitingCount();
    if (waiting !== p.jobs) throw new Error(`expected ${p.jobs} waiting, found ${waiting}`);
    return { jobsPerSec };
  });
}

export function one(p: ScenarioParams): Promise<Record<string, number>> {
  return withQueue(p, async (q) => {
    const t0 = performance.now();
    for (let i = 0; i < p.oneJobs; i++) await q.add("noop", payload(i));
    const jobsPerSec = rate(p.oneJobs, performance.now() - t0);
    const waiting = await q.getWaitingCount();
    if (waiting !== p.oneJobs) throw new Error(`expected ${p.oneJobs} waiting, found ${waiting}`);
    return { jobsPerSec };
  });
}

export function drain(p: ScenarioParams, notes: string[]): Promise<Record<string, number>> {
  return withQueue(p, async (q) => {
    for (let i = 0; i < p.jobs; i += 1_000) await q.addBulk(bulkOf(i, Math.min(1_000, p.jobs - i)));
    let done = 0;
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const cpu = await cpuMeter(() => redisCpuMs(p.redisUrl!));
    const t0 = performance.now();
    // 'completed' is emitted after moveToFinished ran in Redis: the completion is stored.
    const worker = new Worker(QUEUE, async () => {}, { connection: connection(p), concurrency: p.concurrency });
    worker.on("completed", () => {
      if (++done === p.jobs) finish();
    });
    const capped = await Promise.race([finished.then(() => false), Bun.sleep(p.drainCapMs).then(() => true)]);
    const ms = performance.now() - t0;
    const counted = done;
    const cpuCost = await cpu(counted);
    await worker.close();
    const completed = await q.getCompletedCount();
    if (capped) notes.push(`drain cut at ${p.drainCapMs} ms: ${counted} of ${p.jobs} done`);
    else if (completed !== p.jobs) throw new Error(`drain check failed: ${completed} completed`);
    return { jobsPerSec: rate(counted, ms), jobs: counted, ...cpuCost };
  });
}

export function latency(p: ScenarioParams): Promise<Record<string, number>> {
  return withQueue(p, async (q) => {
    const stamps = new StampBoard();
    const worker = new Worker(
      QUEUE,
      async (job) => {
        const at = wallNow();
        stamps.hook((job.data as { seq: number }).seq, at);
      },
      { connection: connection(p), concurrency: p.concurrency },
    );
    const ends = new Ends();
    worker.on("completed", (job) => ends.end(String(job.id)));
    try {
      await worker.waitUntilReady();
      await Bun.sleep(300); // blocked waiting for work
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

export function redismem(p: ScenarioParams): Promise<Record<string, number>> {
  return withQueue(p, async (q) => {
    const fill = async (from: number, n: number) => {
      for (let i = 0; i < n; i += p.batch) await q.addBulk(bulkOf(from + i, Math.min(p.batch, n - i)));
    };
    const bytes = await bytesPerJob(p.redisUrl!, p.memJobs, () => fill(0, 10), () => fill(100, p.memJobs));
    const waiting = await q.getWaitingCount();
    if (waiting !== p.memJobs) throw new Error(`expected ${p.memJobs} waiting, found ${waiting}`);
    return { bytesPerJob: bytes };
  });
}
