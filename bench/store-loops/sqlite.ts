/**
 * Quick throughput check for the SQLite store (not a test: run it by hand).
 *   bun bench/store-loops/sqlite.ts [jobs=50000] [batch=50]
 * Bulk-enqueues no-op jobs in one call, then drains them with a
 * reserve(max batch) / complete loop on one connection, and prints jobs/s
 * by wall time and by CPU time (steadier on a shared machine).
 */

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../../src/core/clock.ts";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";

const total = Number(process.argv[2] ?? 50_000);
const batch = Number(process.argv[3] ?? 50);
const dir = await mkdtemp(join(tmpdir(), "qworker-bench-"));
const store = new SqliteStore({ path: join(dir, "bench.db"), clock: systemClock });
await store.open();
try {
  const specs = Array.from({ length: total }, (_, i) => ({ name: "noop", queue: "default", data: { i }, maxAttempts: 3 }));
  const cpuMs = (since: NodeJS.CpuUsage) => {
    const d = process.cpuUsage(since);
    return (d.user + d.system) / 1000;
  };
  let t0 = performance.now();
  let cpu0 = process.cpuUsage();
  await store.enqueue({ jobs: specs, now: Date.now() });
  const enqueueMs = performance.now() - t0;
  const enqueueCpu = cpuMs(cpu0);

  t0 = performance.now();
  cpu0 = process.cpuUsage();
  let done = 0;
  for (;;) {
    const got = await store.reserve({ queues: ["critical", "default", "low"], workerId: "bench", max: batch, leaseMs: 30_000, now: Date.now() });
    if (got.length === 0) break;
    await store.complete({ workerId: "bench", jobs: got.map((j) => ({ id: j.id, token: j.lease.token })), now: Date.now() });
    done += got.length;
  }
  const drainMs = performance.now() - t0;
  const drainCpu = cpuMs(cpu0);
  const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
  const rate = (n: number, ms: number) => `${fmt((n / ms) * 1000)} jobs/s`;
  console.log(`enqueue ${fmt(total)} in one call: ${fmt(enqueueMs)} ms wall = ${rate(total, enqueueMs)}; ${fmt(enqueueCpu)} ms CPU = ${rate(total, enqueueCpu)}`);
  console.log(`drain ${fmt(done)} (reserve ${batch} + complete): ${fmt(drainMs)} ms wall = ${rate(done, drainMs)}; ${fmt(drainCpu)} ms CPU = ${rate(done, drainCpu)}`);
} finally {
  await store.close();
  await rm(dir, { recursive: true, force: true });
}
