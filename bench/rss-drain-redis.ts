/**
 * Memory of a long drain on Redis (issue 16): a private redis-server
 * seeded with N no-op jobs, drained by a running `qworker run --backend
 * redis` (the compiled binary, server mode, so retention trims as in
 * production), sampled every second: the worker's RSS, redis-server's
 * used_memory and the jobs left. Prints the series and a summary line.
 *
 *   bun bench/rss-drain-redis.ts [--jobs 300000] [--concurrency 50] [--ram-size host]
 */

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { systemClock } from "../src/core/clock.ts";
import { RedisStore } from "../src/store/redis/redis-store.ts";
import { startRedisServer } from "../test/helpers/redis-server.ts";
import { ensureBinary, freePort, ROOT } from "./binary.ts";
import { usedMemory } from "./redis-tools.ts";
import { procStatusMb } from "./stats.ts";

const { values: args } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    jobs: { type: "string", default: "300000" },
    concurrency: { type: "string", default: "50" },
    "ram-size": { type: "string", default: "1073741824" },
  },
  strict: true,
});
const jobs = Number(args.jobs);
const binary = ensureBinary();
const redis = await startRedisServer();
const env: Record<string, string | undefined> = { ...process.env };
delete env.BUN_JSC_forceRAMSize;
if (args["ram-size"] !== "host") env.BUN_JSC_forceRAMSize = args["ram-size"];

try {
  const store = new RedisStore({ url: redis.url, prefix: "qw", clock: systemClock });
  await store.open();
  const t0 = performance.now();
  for (let i = 0; i < jobs; i += 10_000) {
    await store.enqueue({ jobs: Array.from({ length: Math.min(10_000, jobs - i) }, (_, j) => ({ name: "noop", queue: "bench", data: { i: i + j }, maxAttempts: 3 })), now: Date.now() });
  }
  process.stderr.write(`seeded ${jobs.toLocaleString("en-US")} jobs in ${((performance.now() - t0) / 1000).toFixed(1)} s; Redis used_memory ${((await usedMemory(redis.url)) / 1_048_576).toFixed(0)} MB\n`);
  const config = join(redis.dir, "qworker.json");
  writeFileSync(config, JSON.stringify({ queues: ["bench"] }));
  const proc = Bun.spawn(
    [binary, "run", "--config", config, "--backend", "redis", "--redis-url", redis.url, "--jobs", join(ROOT, "bench", "jobs"), "--concurrency", args.concurrency!, "--log-level", "warn", "--admin-port", String(await freePort())],
    { cwd: redis.dir, stdout: "ignore", stderr: "ignore", env },
  );
  const rows: { s: number; rss: number; left: number; redisMb: number }[] = [];
  const started = performance.now();
  let drainedAt: number | undefined;
  try {
    for (;;) {
      await Bun.sleep(1_000);
      const [c] = await store.counts(["bench"]);
      const s = (performance.now() - started) / 1000;
      rows.push({ s, rss: procStatusMb(proc.pid, "VmRSS"), left: c.waiting + c.active, redisMb: (await usedMemory(redis.url)) / 1_048_576 });
      if (c.waiting + c.active === 0) {
        drainedAt = s;
        break;
      }
      if (proc.exitCode !== null) throw new Error(`the worker exited with ${proc.exitCode}`);
      if (s > 1_800) throw new Error("the drain took over 30 minutes");
    }
  } finally {
    const hwm = procStatusMb(proc.pid, "VmHWM");
    proc.kill("SIGTERM");
    await proc.exited;
    console.log("| s | worker RSS MB | jobs left | Redis used_memory MB |\n|---:|---:|---:|---:|");
    for (const r of rows) console.log(`| ${r.s.toFixed(0)} | ${r.rss.toFixed(0)} | ${r.left.toLocaleString("en-US")} | ${r.redisMb.toFixed(0)} |`);
    const warm = rows.slice(5).map((r) => r.rss);
    console.log(
      `\n${jobs.toLocaleString("en-US")} jobs on Redis, concurrency ${args.concurrency}, BUN_JSC_forceRAMSize ${args["ram-size"]}: drained in ${drainedAt?.toFixed(0) ?? "?"} s; ` +
        `worker peak RSS ${hwm.toFixed(0)} MB (VmHWM); after the first 5 s ${Math.min(...warm).toFixed(0)}-${Math.max(...warm).toFixed(0)} MB`,
    );
  }
  await store.close();
} finally {
  await redis.stop();
}
