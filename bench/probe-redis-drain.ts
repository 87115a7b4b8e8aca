/**
 * Where a Redis drain's time goes (a diagnostic, not part of `npm run bench`):
 * drains N no-op jobs through a qworker WorkerPool with every store call
 * timed, and prints the calls' batch sizes and latency, how often two store
 * calls overlapped, the CPU µs per job of this process and of redis-server,
 * and the Redis commands per job (INFO commandstats).
 *
 *   bun bench/probe-redis-drain.ts [jobs=20000] [--redis-url redis://…] [--overlap] [--pools K]
 *
 * Two experiments, not fixes: --overlap makes `store.complete` return at
 * once (the real call still runs, and is awaited before the clock stops),
 * which shows what freeing a slot before its completion is stored would
 * buy; --pools K splits the 50 slots over K pools on one store, so K claim
 * batches are in flight at different phases, each pool on its own store
 * and so its own Redis connection (what claiming the next batch on a
 * second connection while the current one runs would buy).
 */

import Redis from "ioredis";
import { parseArgs } from "node:util";
import type { Store } from "../src/store/store.ts";
import { makePool, openQworker, type Qworker } from "./qworker-scenarios.ts";
import { flushRedis, redisCpuMs } from "./redis-tools.ts";
import { payload, QUEUE } from "./types.ts";

const { values: args, positionals } = parseArgs({
  args: Bun.argv.slice(2),
  options: { "redis-url": { type: "string" }, overlap: { type: "boolean", default: false }, pools: { type: "string", default: "1" } },
  allowPositionals: true,
});
const N = Number(positionals[0] ?? 20_000);
let url = args["redis-url"];
let stop: (() => Promise<void>) | undefined;
if (!url) {
  const { startRedisServer } = await import("../test/helpers/redis-server.ts");
  const server = await startRedisServer();
  url = server.url;
  stop = () => server.stop();
}
await flushRedis(url);

const q = await openQworker("redis", { redisUrl: url, workDir: "" } as never);
for (let i = 0; i < N; i += 1_000) {
  await q.store.enqueue({ jobs: Array.from({ length: Math.min(1_000, N - i) }, (_, j) => ({ name: "noop", queue: QUEUE, data: payload(i + j), maxAttempts: 3 })), now: Date.now() });
}

const calls = new Map<string, { calls: number; jobs: number; ms: number }>();
let inFlight = 0;
let busyMs = 0;
let overlapMs = 0;
let last = performance.now();
const tick = () => {
  const now = performance.now();
  if (inFlight > 0) busyMs += now - last;
  if (inFlight > 1) overlapMs += now - last;
  last = now;
};
const pending: Promise<unknown>[] = [];
function instrument(target: Store): void {
  const store = target as unknown as Record<string, (arg: unknown) => Promise<unknown>>;
  for (const name of ["reserve", "complete", "waitForWork", "extendLeases"]) {
    const real = store[name].bind(target);
    const timed = async (arg: unknown) => {
      const t = performance.now();
      tick();
      inFlight++;
      try {
        const out = await real(arg);
        const c = calls.get(name) ?? { calls: 0, jobs: 0, ms: 0 };
        c.calls++;
        c.ms += performance.now() - t;
        c.jobs += name === "reserve" ? (out as unknown[]).length : name === "complete" ? (arg as { jobs: unknown[] }).jobs.length : 0;
        calls.set(name, c);
        return out;
      } finally {
        tick();
        inFlight--;
      }
    };
    store[name] = name === "complete" && args.overlap ? async (arg) => void pending.push(timed(arg)) : timed;
  }
}
instrument(q.store);

const admin = new Redis(url);
await admin.config("RESETSTAT");
const { RedisStore } = await import("../src/store/redis/redis-store.ts");
const { systemClock } = await import("../src/core/clock.ts");
const extra: Qworker[] = [];
for (let i = 1; i < Number(args.pools); i++) {
  const s = new RedisStore({ url, prefix: "qwbench", clock: systemClock });
  await s.open();
  instrument(s);
  extra.push({ ...q, store: s, close: () => s.close() });
}
const pools = [q, ...extra].map((qw, i) => makePool(qw, Math.floor(50 / Number(args.pools)), `probe-${i}`));
let done = 0;
let finish!: () => void;
const finished = new Promise<void>((resolve) => (finish = resolve));
for (const pool of pools) {
  pool.events.on("job:end", () => {
    if (++done === N) finish();
  });
}
const redis0 = await redisCpuMs(url);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
last = t0;
for (const pool of pools) pool.start();
await finished;
await Promise.all(pending);
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const redisMs = (await redisCpuMs(url)) - redis0;
const [counts] = await q.store.counts([QUEUE]);

console.log(`drain of ${N}${args.overlap ? " (--overlap)" : ""}${pools.length > 1 ? ` (${pools.length} pools)` : ""}: ${ms.toFixed(0)} ms = ${Math.round((N / ms) * 1000)} jobs/s; ${counts.completed} completed in the store`);
console.log(`CPU per job: this process ${((cpu.user + cpu.system) / N).toFixed(1)} µs, redis-server ${((redisMs * 1000) / N).toFixed(1)} µs`);
console.log(`a store call was in flight ${((100 * busyMs) / ms).toFixed(0)}% of the time, two at once ${((100 * overlapMs) / ms).toFixed(0)}%`);
for (const [name, c] of calls) {
  console.log(`  ${name}: ${c.calls} calls, ${(c.jobs / Math.max(1, c.calls)).toFixed(1)} jobs/call, ${(c.ms / c.calls).toFixed(2)} ms/call`);
}
const commands = (await admin.info("commandstats"))
  .split("\n")
  .map((l) => /^cmdstat_(\S+):calls=(\d+),usec=(\d+)/.exec(l))
  .filter((m): m is RegExpExecArray => m !== null && !/^(info|config)/.test(m[1]))
  .sort((a, b) => Number(b[3]) - Number(a[3]))
  .map((m) => `${m[1]} ${(Number(m[2]) / N).toFixed(2)}/job ${(Number(m[3]) / N).toFixed(1)} µs/job`);
console.log(`  redis (usec of scripts include the commands they run): ${commands.join("; ")}`);

for (const pool of pools) await pool.stop(0);
for (const qw of [q, ...extra]) await qw.close();
admin.disconnect();
await stop?.();
process.exit(0);
