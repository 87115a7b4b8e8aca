/**
 * Enqueue → start across processes on SQLite (issue 19), at idle and at
 * 50% load. The worker is the compiled binary, `qworker run` on a file;
 * this process enqueues into the same file through its own SqliteStore
 * (what the CLI and the client's direct mode do, minus their start-up). A
 * stamp job takes the wall-clock time on its first line and returns it as
 * its result, so the figure is enqueue call → job body, read back from the
 * store afterwards (the polling that reads it back is not timed).
 *
 *  - idle: one stamp job at a time, 20-250 ms apart, so the worker's
 *    waiters have backed off between samples;
 *  - 50% load: the worker's drain rate is measured first (20,000 no-op
 *    jobs, cross-process); then no-op jobs are enqueued at half that rate,
 *    every 10 ms, while stamp jobs are timed among them (they queue behind
 *    what is already waiting, as real jobs would).
 *
 *   bun bench/xproc-load.ts [--samples 200] [--concurrency 50] [--log-level info]
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { systemClock } from "../src/core/clock.ts";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.ts";
import { ensureBinary, freePort, ROOT } from "./binary.ts";
import { summarizeLatency } from "./latency-tools.ts";
import { jitteredPause, wallNow } from "./stats.ts";

const { values: args } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    samples: { type: "string", default: "200" },
    concurrency: { type: "string", default: "50" },
    "log-level": { type: "string", default: "info" },
  },
  strict: true,
});
const samples = Number(args.samples);

const binary = ensureBinary();
const dir = mkdtempSync(join(tmpdir(), "qworker-xload-"));
const db = join(dir, "qworker.db");
const config = join(dir, "qworker.json");
writeFileSync(config, JSON.stringify({ queues: ["bench"] }));

const store = new SqliteStore({ path: db, clock: systemClock });
await store.open();
const noop = (n: number) => Array.from({ length: n }, (_, i) => ({ name: "noop", queue: "bench", data: { i }, maxAttempts: 1 }));

async function left(): Promise<number> {
  const [c] = await store.counts(["bench"]);
  return c.waiting + c.active;
}

/** One stamp job: enqueue, then read its start time back once it completed. */
async function stamp(seq: number): Promise<number> {
  const t0 = wallNow();
  const [r] = await store.enqueue({ jobs: [{ name: "stamp", queue: "bench", data: { seq }, maxAttempts: 1 }], now: Date.now() });
  for (let waited = 0; ; waited += 5) {
    const job = await store.getJob(r.id);
    if (job?.state === "completed") return (job.result as { at: number }).at - t0;
    if (waited > 30_000) throw new Error(`stamp job ${r.id} did not complete within 30 s`);
    await Bun.sleep(5);
  }
}

async function sampleRun(count: number, pauseMs: [number, number]): Promise<Record<string, number>> {
  const out: number[] = [];
  for (let seq = -10; seq < count; seq++) {
    await jitteredPause(pauseMs[0], pauseMs[1]);
    const ms = await stamp(seq);
    if (seq >= 0) out.push(ms);
  }
  return summarizeLatency(out);
}

const port = await freePort();
const worker = Bun.spawn(
  [binary, "run", "--config", config, "--db", db, "--jobs", join(ROOT, "bench", "jobs"), "--concurrency", args.concurrency!, "--log-level", args["log-level"]!, "--admin-port", String(port)],
  { cwd: dir, stdout: "ignore", stderr: "ignore", env: { ...process.env, BUN_JSC_forceRAMSize: "1073741824" } },
);
const fmt = (r: Record<string, number>) => `p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, max ${r.maxMs.toFixed(1)} ms`;
try {
  for (let waited = 0; !(await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false)); waited += 20) {
    if (waited > 15_000) throw new Error("qworker run did not answer /health within 15 s");
    await Bun.sleep(20);
  }
  const idle = await sampleRun(samples, [20, 250]);
  console.log(`idle: ${fmt(idle)} (${samples} samples)`);

  // The worker's capacity, cross-process: a burst of no-op jobs.
  const burst = 20_000;
  let t0 = performance.now();
  await store.enqueue({ jobs: noop(burst), now: Date.now() });
  while ((await left()) > 0) await Bun.sleep(10);
  const capacity = (burst / (performance.now() - t0)) * 1000;

  // Half of it, enqueued every 10 ms, while stamps are timed.
  const perTick = Math.max(1, Math.round((capacity * 0.5) / 100));
  let running = true;
  let offered = 0;
  t0 = performance.now();
  const load = (async () => {
    for (let tick = 1; running; tick++) {
      await store.enqueue({ jobs: noop(perTick), now: Date.now() });
      offered += perTick;
      const next = t0 + tick * 10;
      await Bun.sleep(Math.max(0, next - performance.now()));
    }
  })();
  await Bun.sleep(1_000);
  const loaded = await sampleRun(samples, [20, 100]);
  running = false;
  await load;
  const offeredRate = (offered / (performance.now() - t0)) * 1000;
  console.log(`50% load (${Math.round(offeredRate).toLocaleString("en-US")} no-op jobs/s offered; capacity ${Math.round(capacity).toLocaleString("en-US")} jobs/s): ${fmt(loaded)} (${samples} samples)`);
} finally {
  worker.kill("SIGTERM");
  await worker.exited;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
