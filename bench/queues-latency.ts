/**
 * `GET /api/queues` with 1,000 and with 1,000,000 jobs (issue 17: counts
 * are kept as jobs move, so the answer costs the same at any size; the two
 * must be within 2× of each other). For each store, a `qworker run --role
 * api` (the compiled binary) serves a store holding N jobs spread over the
 * states a live system has (waiting, delayed, completed, failed), and the
 * route is asked `--requests` times one after another; p50 and p99 of the
 * request time.
 *
 *  - sqlite: the file is seeded beforehand (moves made through the store);
 *  - redis: a private redis-server (no persistence) is seeded the same way,
 *    through the store, then served;
 *  - memory: the jobs are enqueued into the server over the HTTP bulk
 *    route (the memory store lives in the server), as waiting and delayed.
 *
 *   bun bench/queues-latency.ts [--sizes 1000,1000000] [--requests 300] [--store sqlite,redis,memory]
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { systemClock } from "../src/core/clock.ts";
import { RedisStore } from "../src/store/redis/redis-store.ts";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.ts";
import type { Store } from "../src/store/store.ts";
import { startRedisServer, type RedisServer } from "../test/helpers/redis-server.ts";
import { ensureBinary, freePort, ROOT } from "./binary.ts";
import { flushRedis } from "./redis-tools.ts";
import { percentile } from "./stats.ts";

const { values: args } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    sizes: { type: "string", default: "1000,1000000" },
    requests: { type: "string", default: "300" },
    store: { type: "string", default: "sqlite,redis,memory" },
  },
  strict: true,
});
const sizes = args.sizes!.split(",").map(Number);
const requests = Number(args.requests);

const binary = ensureBinary();
const dir = mkdtempSync(join(tmpdir(), "qworker-queues-"));
const config = join(dir, "qworker.json");
writeFileSync(config, JSON.stringify({ queues: ["critical", "default", "low"], limits: { maxBulkJobs: 10_000 } }));
const jobsDir = join(dir, "jobs");
Bun.spawnSync(["mkdir", "-p", jobsDir]);
writeFileSync(join(jobsDir, "work.ts"), `import { defineJob } from "qworker";\nexport default defineJob({ name: "work", async run() {} });\n`);

const QUEUES = ["critical", "default", "low"];
const spec = (i: number, now: number) => ({ name: "work", queue: QUEUES[i % 3], data: { i }, maxAttempts: 1, runAt: i % 10 === 0 ? now + 3_600_000 : undefined });

/** A store with `n` jobs: a tenth delayed, and of the rest about a third each left waiting, completed, failed. */
async function seed(store: Store, n: number): Promise<void> {
  await store.open();
  for (let i = 0; i < n; i += 10_000) {
    const now = Date.now();
    await store.enqueue({ jobs: Array.from({ length: Math.min(10_000, n - i) }, (_, j) => spec(i + j, now)), now });
  }
  // Finish two thirds of the waiting jobs, half completed and half failed.
  const finish = Math.floor((n * 0.9 * 2) / 3);
  for (let done = 0; done < finish; ) {
    const got = await store.reserve({ queues: QUEUES, workerId: "seed", max: 1_000, leaseMs: 60_000, now: Date.now() });
    if (got.length === 0) break;
    const half = got.length >> 1;
    await store.complete({ workerId: "seed", jobs: got.slice(0, half).map((j) => ({ id: j.id, token: j.lease.token })), now: Date.now() });
    for (const j of got.slice(half)) await store.fail({ workerId: "seed", id: j.id, token: j.lease.token, error: { attempt: 1, message: "x" }, now: Date.now() });
    done += got.length;
  }
  await store.close();
}

async function serve(extra: string[]): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const proc = Bun.spawn([binary, "run", "--role", "api", "--config", config, "--jobs", jobsDir, "--admin-port", String(port), "--log-level", "warn", ...extra], { cwd: dir, stdout: "ignore", stderr: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  for (let waited = 0; !(await fetch(`${url}/health`).then((r) => r.ok, () => false)); waited += 20) {
    if (waited > 15_000) throw new Error("qworker run --role api did not answer /health within 15 s");
    await Bun.sleep(20);
  }
  return {
    url,
    stop: async () => {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}

async function timeQueues(url: string): Promise<{ p50: number; p99: number; total: number }> {
  const times: number[] = [];
  let total = 0;
  for (let i = -20; i < requests; i++) {
    const t0 = performance.now();
    const res = await fetch(`${url}/api/queues`);
    const body = (await res.json()) as { queues: Record<string, number>[] };
    const ms = performance.now() - t0;
    if (i >= 0) times.push(ms);
    total = body.queues.reduce((n, q) => n + q.waiting + q.delayed + q.active + q.completed + q.failed + q.cancelled, 0);
  }
  return { p50: percentile(times, 50), p99: percentile(times, 99), total };
}

const rows: string[] = [];
let redis: RedisServer | undefined;
try {
  for (const kind of args.store!.split(",")) {
    const bySize: { n: number; p50: number; p99: number }[] = [];
    for (const n of sizes) {
      let server;
      if (kind === "sqlite") {
        const db = join(dir, `q-${n}.db`);
        await seed(new SqliteStore({ path: db, clock: systemClock }), n);
        server = await serve(["--db", db]);
      } else if (kind === "redis") {
        redis ??= await startRedisServer();
        await flushRedis(redis.url);
        await seed(new RedisStore({ url: redis.url, clock: systemClock }), n);
        server = await serve(["--backend", "redis", "--redis-url", redis.url]);
      } else if (kind === "memory") {
        server = await serve(["--backend", "memory"]);
        for (let i = 0; i < n; i += 10_000) {
          const batch = Array.from({ length: Math.min(10_000, n - i) }, (_, j) => ({ name: "work", queue: QUEUES[(i + j) % 3], data: { i: i + j }, in: (i + j) % 10 === 0 ? 3_600 : undefined }));
          const res = await fetch(`${server.url}/api/jobs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(batch) });
          if (res.status !== 201) throw new Error(`bulk enqueue answered ${res.status}: ${await res.text()}`);
          await res.arrayBuffer();
        }
      } else throw new Error(`--store takes sqlite, redis and memory, got ${kind}`);
      try {
        const r = await timeQueues(server.url);
        if (r.total !== n) throw new Error(`${kind}: /api/queues counted ${r.total} jobs, expected ${n}`);
        bySize.push({ n, p50: r.p50, p99: r.p99 });
        rows.push(`| ${kind} | ${n.toLocaleString("en-US")} | ${r.p50.toFixed(2)} ms | ${r.p99.toFixed(2)} ms |`);
      } finally {
        await server.stop();
      }
    }
    if (bySize.length >= 2) {
      const first = bySize[0];
      const last = bySize.at(-1)!;
      rows.push(`| ${kind} | ratio ${last.n.toLocaleString("en-US")} / ${first.n.toLocaleString("en-US")} | ${(last.p50 / first.p50).toFixed(2)}× | ${(last.p99 / first.p99).toFixed(2)}× |`);
    }
  }
} finally {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`GET /api/queues, ${requests} requests one after another (after 20 untimed)\n`);
console.log("| store | jobs | p50 | p99 |\n|---|---:|---:|---:|");
for (const r of rows) console.log(r);
