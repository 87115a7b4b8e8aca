/**
 * One measurement of one execution mode, in a fresh process (like
 * scenario.ts): `bun bench/modes-scenario.ts <mode> <scenario> '<params>'`,
 * printing one `BENCH_RESULT {…}` line. All on the memory store, with the
 * no-op and stamp jobs of bench/jobs run in the given mode:
 *
 * - drain: N waiting no-op jobs through a WorkerPool (concurrency C);
 *   jobs/s, and CPU per job of this process and of its job-host children
 *   (threads are this process's CPU; children are read from /proc);
 * - roundtrip: the executor alone, one no-op try at a time, no store: the
 *   wall time and CPU a try costs in this mode (what a mode adds per job);
 * - latency: enqueue → first line of the job body on an idle pool, one job
 *   at a time (the body's wall-clock stamp comes back as its result).
 */

import { readdirSync, readFileSync } from "node:fs";
import { systemClock } from "../src/core/clock.ts";
import { silentLogger } from "../src/core/logger.ts";
import type { NewJob } from "../src/core/types.ts";
import type { ExecMode } from "../src/sdk/define-job.ts";
import type { ReservedJob } from "../src/store/store.ts";
import { Executors } from "../src/worker/executors/executor.ts";
import { TryAbort } from "../src/worker/try-abort.ts";
import { WorkerPool } from "../src/worker/pool.ts";
import { Ends, summarizeLatency, WARM_UP, withTimeout } from "./latency-tools.ts";
import { openQworker } from "./qworker-scenarios.ts";
import { jitteredPause, percentile, procStatusMb, RssPeak, rate, wallNow } from "./stats.ts";
import { payload, QUEUE, RESULT_TAG, type ScenarioParams } from "./types.ts";

export interface ModeParams extends Pick<ScenarioParams, "jobs" | "concurrency" | "samples" | "pauseMs" | "workDir" | "drainCapMs"> {
  /** Sequential tries for the round-trip figure. */
  tries: number;
}

const [mode, scenario, json] = process.argv.slice(2) as [ExecMode, "drain" | "roundtrip" | "latency", string];
const params = JSON.parse(json ?? "{}") as ModeParams;
const rss = new RssPeak();

function makePool(q: Awaited<ReturnType<typeof openQworker>>, concurrency: number): WorkerPool {
  return new WorkerPool({
    store: q.store,
    registry: q.registry,
    clock: systemClock,
    log: silentLogger,
    queues: [QUEUE],
    concurrency,
    leaseMs: 30_000,
    execution: { mode },
    enqueue: async (name, data) => (await q.ops.enqueue([{ name, data }]))[0].id,
  });
}

/** This process's direct children (process mode's job hosts), from /proc. */
function children(): number[] {
  const pids: number[] = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === process.pid) pids.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** CPU ms (user + system) of the children. */
function childrenCpuMs(): number {
  let ticks = 0;
  for (const pid of children()) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // gone meanwhile
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

const newJob = (i: number): NewJob => ({ name: "noop", queue: QUEUE, data: payload(i), maxAttempts: 3 });

async function drain(): Promise<Record<string, number>> {
  const q = await openQworker("memory", { ...params } as unknown as ScenarioParams);
  try {
    const pool = makePool(q, params.concurrency);
    // Warm the hosts up first (start-up is a one-off cost, not a per-job one).
    await q.store.enqueue({ jobs: Array.from({ length: params.concurrency * 4 }, (_, i) => newJob(-i - 1)), now: Date.now() });
    let done = 0;
    let target = params.concurrency * 4;
    let finish!: () => void;
    let finished = new Promise<void>((r) => (finish = r));
    let failed = 0;
    pool.events.on("job:end", (e) => {
      if (e.outcome !== "complete") failed++;
      if (++done === target) finish();
    });
    pool.start();
    await finished;
    for (let i = 0; i < params.jobs; i += 1_000) await q.store.enqueue({ jobs: Array.from({ length: Math.min(1_000, params.jobs - i) }, (_, j) => newJob(i + j)), now: Date.now() });
    done = 0;
    target = params.jobs;
    finished = new Promise<void>((r) => (finish = r));
    const cpu0 = process.cpuUsage();
    const kids0 = childrenCpuMs();
    const t0 = performance.now();
    await Promise.race([finished, Bun.sleep(params.drainCapMs)]);
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const kidsMs = childrenCpuMs() - kids0;
    const kidsRssMb = children().reduce((sum, pid) => sum + (procStatusMb(pid, "VmHWM") || 0), 0);
    await pool.stop(5_000);
    if (failed) throw new Error(`${failed} jobs did not complete`);
    return {
      jobsPerSec: rate(done, ms),
      jobs: done,
      cpuUsPerJob: (cpu.user + cpu.system + kidsMs * 1000) / Math.max(1, done),
      childCpuUsPerJob: (kidsMs * 1000) / Math.max(1, done),
      childrenPeakRssMb: kidsRssMb,
    };
  } finally {
    await q.close();
  }
}

async function roundtrip(): Promise<Record<string, number>> {
  const q = await openQworker("memory", { ...params } as unknown as ScenarioParams);
  const entry = q.registry.get("noop");
  const executors = new Executors({ mode, concurrency: 1, log: silentLogger, loopWatchdog: true });
  const executor = executors.for(entry);
  const job = (i: number) => ({ id: String(i), name: "noop", queue: QUEUE, data: payload(i), attemptsMade: 0, maxAttempts: 3, stalls: 0, lease: { token: 1, workerId: "b", until: 0 } }) as unknown as ReservedJob;
  const logger = { debug() {}, info() {}, warn() {}, error() {} };
  const one = (i: number) =>
    executor.run({ entry, job: job(i), controller: new TryAbort(), abandonAfterMs: 5_000, log: logger, progress() {}, enqueue: async () => "0" });
  try {
    for (let i = 0; i < 200; i++) await one(i); // warm-up, host start included
    const samples: number[] = [];
    const cpu0 = process.cpuUsage();
    const kids0 = childrenCpuMs();
    const t0 = performance.now();
    for (let i = 0; i < params.tries; i++) {
      const s = performance.now();
      const ending = await one(i);
      samples.push((performance.now() - s) * 1000);
      if (!ending.ok) throw ending.error;
    }
    const wallUs = ((performance.now() - t0) * 1000) / params.tries;
    const cpu = process.cpuUsage(cpu0);
    const kidsMs = childrenCpuMs() - kids0;
    return { wallUsPerTry: wallUs, p50Us: percentile(samples, 50), p99Us: percentile(samples, 99), cpuUsPerTry: (cpu.user + cpu.system + kidsMs * 1000) / params.tries };
  } finally {
    await executors.stop();
    await q.close();
  }
}

async function latency(): Promise<Record<string, number>> {
  const q = await openQworker("memory", { ...params } as unknown as ScenarioParams);
  const pool = makePool(q, params.concurrency);
  try {
    const idle = pool.events.once("pool:idle", () => true, 10_000);
    pool.start();
    await idle;
    const ends = new Ends();
    pool.events.on("job:end", (e) => ends.end(e.id));
    const samples: number[] = [];
    for (let seq = -WARM_UP; seq < params.samples; seq++) {
      await jitteredPause(params.pauseMs[0], params.pauseMs[1]);
      const t0 = wallNow();
      const [{ id }] = await q.ops.enqueue([{ name: "stamp", data: { seq } }]);
      await withTimeout(ends.wait(id), 10_000, `job ${seq} did not end within 10 s`);
      const at = ((await q.store.getJob(id))!.result as { at: number } | null)?.at;
      if (at === undefined) throw new Error(`job ${seq} returned no stamp`);
      if (seq >= 0) samples.push(at - t0);
    }
    return summarizeLatency(samples);
  } finally {
    await pool.stop(1_000);
    await q.close();
  }
}

const result: { mode: string; scenario: string; metrics: Record<string, number>; peakRssMb: number; error?: string } = { mode, scenario, metrics: {}, peakRssMb: Number.NaN };
try {
  result.metrics = scenario === "drain" ? await drain() : scenario === "roundtrip" ? await roundtrip() : await latency();
} catch (err) {
  result.error = err instanceof Error ? err.message : String(err);
}
result.peakRssMb = rss.stopMb();
process.stdout.write(RESULT_TAG + JSON.stringify(result) + "\n");
process.exit(0);
