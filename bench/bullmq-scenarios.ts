/**
 * The peer for the Redis store: BullMQ on Node (its main runtime), on the
 * same private redis-server, flushed before each child. run.ts bundles
 * this (through bullmq-node.ts) for Node and runs it with `node`.
 *
 * Two configurations:
 * - "bullmq": the retention a careful user sets, matching qworker's
 *   defaults: the Worker removes completed jobs beyond the newest 1,000
 *   (`removeOnComplete: { count: 1000 }`) and failed ones after 7 days
 *   (`removeOnFail: { age: 604800 }`). Set on the Worker, so they do not
 *   weigh on every job's stored options.
 * - "bullmq-defaults": BullMQ's default options, which keep every job.
 *
 * bulk = `queue.addBulk` of 1,000; one-by-one = `queue.add`; drain = a
 * Worker with concurrency 50 in a process of its own (bullmq-worker.ts),
 * timed from spawn to exit like `qworker run --burst`; latency = time to
 * the processor's first line on an idle (blocked) worker.
 */

import { spawn } from "node:child_process";
import { Queue, Worker } from "bullmq";
import { Ends, sampleLatency, StampBoard } from "./latency-tools.ts";
import { bytesPerJob, flushRedis, redisCpuMs } from "./redis-tools.ts";
import { connection, workerOptions } from "./bullmq-options.ts";
import { rate, sleep, wallNow } from "./stats.ts";
import { payload, QUEUE, type ScenarioParams, type SystemName } from "./types.ts";

async function withQueue<T>(p: ScenarioParams, fn: (q: Queue) => Promise<T>): Promise<T> {
  if (!p.redisUrl) throw new Error("BullMQ needs --redis-url");
  await flushRedis(p.redisUrl);
  const q = new Queue(QUEUE, { connection: connection(p.redisUrl) });
  await q.waitUntilReady();
  try {
    return await fn(q);
  } finally {
    await q.close();
  }
}

const bulkOf = (from: number, n: number) => Array.from({ length: n }, (_, j) => ({ name: "noop", data: payload(from + j) }));

async function fill(q: Queue, n: number, batch: number): Promise<void> {
  for (let i = 0; i < n; i += batch) await q.addBulk(bulkOf(i, Math.min(batch, n - i)));
}

export function bulk(p: ScenarioParams): Promise<Record<string, number>> {
  return withQueue(p, async (q) => {
    const t0 = performance.now();
    await fill(q, p.jobs, p.batch);
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

/** The whole worker process, spawn to exit: what a user's `node worker.js` costs. */
export function drain(p: ScenarioParams, system: SystemName, workerScript: string): Promise<Record<string, number>> {
  return withQueue(p, async (q) => {
    await fill(q, p.drainJobs, 1_000);
    const redis0 = await redisCpuMs(p.redisUrl!);
    const t0 = performance.now();
    const child = spawn(process.execPath, [workerScript, p.redisUrl!, String(p.concurrency), String(p.drainJobs), system, String(p.drainCapMs)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    const ms = performance.now() - t0;
    const redisMs = (await redisCpuMs(p.redisUrl!)) - redis0;
    const report = /WORKER (\{.*\})/.exec(out);
    if (code !== 0 || !report) throw new Error(`the BullMQ worker process exited ${code} without a report: ${out.slice(-300)}`);
    const { done, cpuUs, maxRssKb } = JSON.parse(report[1]) as { done: number; cpuUs: number; maxRssKb: number };
    const [waiting, active] = [await q.getWaitingCount(), await q.getActiveCount()];
    if (done !== p.drainJobs || waiting + active !== 0) throw new Error(`drain check failed: ${done} completed events, ${waiting} waiting, ${active} active`);
    return { jobsPerSec: rate(done, ms), jobs: done, cpuUsPerJob: cpuUs / done, redisCpuUsPerJob: (redisMs * 1000) / done, workerRssMb: maxRssKb / 1024, wallMs: ms };
  });
}

export function latency(p: ScenarioParams, system: SystemName): Promise<Record<string, number>> {
  return withQueue(p, async (q) => {
    const stamps = new StampBoard();
    const worker = new Worker(
      QUEUE,
      async (job) => {
        const at = wallNow();
        stamps.hook((job.data as { seq: number }).seq, at);
      },
      { connection: connection(p.redisUrl!), concurrency: p.concurrency, ...workerOptions(system) },
    );
    const ends = new Ends();
    worker.on("completed", (job) => ends.end(String(job.id)));
    try {
      await worker.waitUntilReady();
      await sleep(300); // blocked waiting for work
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
    const bytes = await bytesPerJob(p.redisUrl!, p.memJobs, () => fill(q, 10, p.batch), async () => {
      for (let i = 0; i < p.memJobs; i += p.batch) await q.addBulk(bulkOf(100 + i, Math.min(p.batch, p.memJobs - i)));
    });
    const waiting = await q.getWaitingCount();
    if (waiting !== p.memJobs) throw new Error(`expected ${p.memJobs} waiting, found ${waiting}`);
    return { bytesPerJob: bytes };
  });
}
