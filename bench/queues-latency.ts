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
 *    route (the memory store lives in the server), as waiting and delayed;
 *  - postgres: a fresh database on --postgres-url's server (dropped at the
 *    end), a schema per size, migrated by the store, then filled with one
 *    INSERT ... SELECT generate_series in the same mix as sqlite (qworker's
 *    enqueue would take minutes for 1,000,000). The insert goes through
 *    the jobs triggers like any write, so the kept counts are the real
 *    ones; then they are folded and vacuumed, as in a running system.
 *    Skipped with a note when no server answers.
 *
 *   bun bench/queues-latency.ts [--sizes 1000,1000000] [--requests 300] [--store sqlite,redis,memory,postgres]
 *     [--postgres-url postgres://postgres@127.0.0.1:5432/postgres]
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { systemClock } from "../src/core/clock.ts";
import { RedisStore } from "../src/store/redis/redis-store.ts";
import { PostgresStore } from "../src/store/postgres/postgres-store.ts";
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
    store: { type: "string", default: "sqlite,redis,memory,postgres" },
    "postgres-url": { type: "string", default: process.env.QWORKER_BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres" },
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

/** A database of its own on the --postgres-url server, or undefined (with a note) when none answers. */
async function createPgDatabase(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const admin = args["postgres-url"]!;
  const name = `qwqueues_${process.pid}`;
  const run = async (text: string) => {
    const c = new pg.Client({ connectionString: admin, connectionTimeoutMillis: 5_000 });
    c.on("error", () => {});
    await c.connect();
    try {
      await c.query(text);
    } finally {
      await c.end().catch(() => {});
    }
  };
  try {
    await run(`CREATE DATABASE "${name}"`);
  } catch (err) {
    process.stderr.write(`postgres skipped: cannot create a database through ${admin.replace(/:[^:@/]*@/, ":***@")}: ${(err as Error).message}\n`);
    return undefined;
  }
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return { url: u.toString(), drop: () => run(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

/** A schema with `n` jobs in sqlite's mix: a tenth delayed, the rest a third each waiting, completed, failed. */
async function seedPostgres(url: string, schema: string, n: number): Promise<void> {
  const store = new PostgresStore({ url, schema, clock: systemClock });
  await store.open();
  await store.close();
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const now = Date.now();
    const state = `CASE WHEN g % 10 = 0 THEN 'delayed' WHEN (g / 3) % 3 = 0 THEN 'waiting' WHEN (g / 3) % 3 = 1 THEN 'completed' ELSE 'failed' END`;
    await c.query(
      `INSERT INTO ${schema}.jobs (id, name, queue, state, priority, seq, data, attempts_made, max_attempts, run_at, created_at, finished_at)
       SELECT nextval('${schema}.job_ids')::text, 'work', (ARRAY['critical', 'default', 'low'])[g % 3 + 1], s.state, 0,
              nextval('${schema}.job_seq'), json_build_object('i', g), CASE WHEN s.state IN ('completed', 'failed') THEN 1 ELSE 0 END, 1,
              CASE WHEN s.state = 'delayed' THEN $1::bigint + 3600000 ELSE $1::bigint END, $1::bigint,
              CASE WHEN s.state IN ('completed', 'failed') THEN $1::bigint END
         FROM generate_series(0, $2::integer - 1) AS g, LATERAL (SELECT ${state} AS state) s`,
      [now, n],
    );
    await c.query(`VACUUM ANALYZE ${schema}.jobs`);
    // Raw SQL is counted by the row triggers, one delta row per job: fold them and let vacuum clear
    // them, as the leader and autovacuum do in a running system, so the read sees its steady state.
    await c.query(`SELECT ${schema}.fold_counts()`);
    await c.query(`VACUUM ANALYZE ${schema}.count_deltas`);
  } finally {
    await c.end();
  }
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
const pgDb = args.store!.split(",").includes("postgres") ? await createPgDatabase() : undefined;
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
      } else if (kind === "postgres") {
        if (!pgDb) break;
        const schema = `q${n}`;
        const t0 = performance.now();
        await seedPostgres(pgDb.url, schema, n);
        process.stderr.write(`postgres: ${n.toLocaleString("en-US")} jobs stored in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
        server = await serve(["--backend", "postgres", "--postgres-url", pgDb.url, "--postgres-schema", schema]);
      } else throw new Error(`--store takes sqlite, redis, memory and postgres, got ${kind}`);
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
  await pgDb?.drop().catch((err) => process.stderr.write(`could not drop the bench database: ${(err as Error).message}\n`));
}
console.log(`GET /api/queues, ${requests} requests one after another (after 20 untimed)\n`);
console.log("| store | jobs | p50 | p99 |\n|---|---:|---:|---:|");
for (const r of rows) console.log(r);
