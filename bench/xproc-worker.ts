/**
 * The worker half of the cross-process SQLite latency scenario: a qworker
 * `WorkerPool` in its own process on the database file the parent enqueues
 * into, as `qworker run` would be. The stamp job's first line reports its
 * wall-clock time to the parent over IPC. Usage: bun bench/xproc-worker.ts <db> <concurrency>
 */

import { makePool, openQworker } from "./qworker-scenarios.ts";
import { procStatusMb } from "./stats.ts";

const [db, concurrency] = process.argv.slice(2);
const q = await openQworker("sqlite", { workDir: "" } as never, db);
const pool = makePool(q, Number(concurrency) || 50);
(globalThis as { __qwBenchStamp?: unknown }).__qwBenchStamp = (seq: number, at: number) => process.send!({ seq, at });
pool.events.once("pool:idle", () => true, 30_000).then(() => process.send!({ ready: true }));
process.on("message", (msg: { rss?: boolean }) => {
  if (msg.rss) process.send!({ rssMb: procStatusMb("self", "VmHWM") });
});
process.on("SIGTERM", async () => {
  await pool.stop(1_000);
  await q.close();
  process.exit(0);
});
pool.start();
