/**
 * qworker's side of the PostgreSQL bench, in a fresh Bun process:
 * `bun bench/postgres/qworker.ts <scenario> '<params JSON>'`.
 *
 * - bulk / one: enqueues through `Operations` (request and job-schema
 *   validation, then one store.enqueue per call: the path of the CLI, the
 *   admin API and ctx.enqueue) on a PostgresStore in this process.
 * - drain: the jobs are stored first, then the whole compiled binary runs
 *   `qworker run --burst --role worker --concurrency N` and the figure is
 *   jobs / (spawn → exit), start-up and schema check included. The window
 *   from the first claim to the last completion, read from the table, is
 *   recorded next to it.
 *
 * Default store settings (LISTEN on, async claim/completion commits, no
 * prepared statements); log level warn so the run does not write a line
 * per job. Prints one `PGBENCH_RESULT {…}` line.
 */

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { systemClock } from "../../src/core/clock.ts";
import type { NewJob } from "../../src/core/types.ts";
import { LocalOperations } from "../../src/ops/local.ts";
import { Registry } from "../../src/registry/registry.ts";
import { PostgresStore } from "../../src/store/postgres/postgres-store.ts";
import { ensureBinary } from "../binary.ts";
import { rate } from "../stats.ts";
import { payload, QUEUE, RESULT_TAG, type PgBenchParams, type PgBenchResult, type PgScenario } from "./types.ts";

const SCHEMA = "qwbench";
const JOBS_DIR = join(import.meta.dir, "../jobs");
const [scenario, json, variant] = process.argv.slice(2) as [PgScenario, string, string | undefined];
/** "sync": postgresAsyncOutcomes off, every commit waits for the WAL flush. */
const sync = variant === "sync";
const p = JSON.parse(json) as PgBenchParams;

const newJob = (i: number): NewJob => ({ name: "noop", queue: QUEUE, data: payload(i), maxAttempts: 3 });

async function fresh(): Promise<PostgresStore> {
  const store = new PostgresStore({ url: p.url, schema: SCHEMA, clock: systemClock });
  await store.open();
  // Empty tables for every child; the schema (and its functions) stay migrated.
  await sql(store, `TRUNCATE ${SCHEMA}.jobs, ${SCHEMA}.workers, ${SCHEMA}.leaders, ${SCHEMA}.paused_queues`);
  return store;
}

function sql(store: PostgresStore, text: string): Promise<unknown> {
  return (store as unknown as { conn: { query(w: string, t: string): Promise<unknown> } }).conn.query("bench", text);
}

async function waiting(store: PostgresStore): Promise<number> {
  const [c] = await store.counts([QUEUE]);
  return c.waiting;
}

async function enqueueScenario(one: boolean): Promise<Record<string, number>> {
  const store = await fresh();
  try {
    const registry = (await Registry.load({ dir: JOBS_DIR, queues: [QUEUE] })).assertValid();
    const ops = new LocalOperations({ store, clock: systemClock, registry });
    const n = one ? p.oneJobs : p.jobs;
    const t0 = performance.now();
    if (one) for (let i = 0; i < n; i++) await ops.enqueue([{ name: "noop", data: payload(i) }]);
    else for (let i = 0; i < n; i += p.batch) await ops.enqueue(Array.from({ length: Math.min(p.batch, n - i) }, (_, j) => ({ name: "noop", data: payload(i + j) })));
    const jobsPerSec = rate(n, performance.now() - t0);
    if ((await waiting(store)) !== n) throw new Error(`expected ${n} waiting jobs`);
    if (one) return { jobsPerSec };
    // The same again straight into the store, to show what validation costs.
    const t1 = performance.now();
    for (let i = 0; i < n; i += p.batch) await store.enqueue({ jobs: Array.from({ length: Math.min(p.batch, n - i) }, (_, j) => newJob(n + i + j)), now: Date.now() });
    const storeJobsPerSec = rate(n, performance.now() - t1);
    if ((await waiting(store)) !== 2 * n) throw new Error(`expected ${2 * n} waiting jobs`);
    return { jobsPerSec, storeJobsPerSec };
  } finally {
    await store.close();
  }
}

async function drain(notes: string[]): Promise<Record<string, number>> {
  const store = await fresh();
  try {
    for (let i = 0; i < p.jobs; i += 1_000) await store.enqueue({ jobs: Array.from({ length: Math.min(1_000, p.jobs - i) }, (_, j) => newJob(i + j)), now: Date.now() });
    await sql(store, `ANALYZE ${SCHEMA}.jobs`);
    if ((await waiting(store)) !== p.jobs) throw new Error(`expected ${p.jobs} waiting jobs`);
    const config = join(p.workDir, "qworker-postgres.json");
    writeFileSync(config, JSON.stringify({ queues: [QUEUE], store: { backend: "postgres", postgresUrl: p.url, postgresSchema: SCHEMA, postgresAsyncOutcomes: !sync } }));
    const binary = ensureBinary();
    const t0 = performance.now();
    const proc = Bun.spawn([binary, "run", "--burst", "--role", "worker", "--concurrency", String(p.concurrency), "--jobs", JOBS_DIR, "--log-level", "warn", "--config", config], {
      stdout: "ignore",
      stderr: "pipe",
    });
    const timer = setTimeout(() => proc.kill("SIGTERM"), p.drainCapMs);
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    clearTimeout(timer);
    const ms = performance.now() - t0;
    const [c] = await store.counts([QUEUE]);
    if (code !== 0 && c.completed === p.jobs) throw new Error(`qworker run --burst exited ${code}: ${stderr.slice(-400)}`);
    if (c.completed !== p.jobs) notes.push(`drain cut at ${p.drainCapMs} ms: ${c.completed} of ${p.jobs} done`);
    const [w] = (await (store as unknown as { conn: { query(w: string, t: string): Promise<{ a: number; b: number }[]> } }).conn.query(
      "bench",
      `SELECT min(started_at) AS a, max(finished_at) AS b FROM ${SCHEMA}.jobs`,
    )) as { a: number; b: number }[];
    return { jobsPerSec: rate(c.completed, ms), dbWindowJobsPerSec: rate(c.completed, w.b - w.a), processMs: ms, jobs: c.completed };
  } finally {
    await store.close();
  }
}

const result: PgBenchResult = {
  system: sync ? "qworker-sync" : "qworker",
  scenario,
  metrics: {},
  settings:
    scenario === "drain"
      ? `dist/qworker run --burst --role worker --concurrency ${p.concurrency} (one process, ${sync ? "postgresAsyncOutcomes false" : "default store settings"})`
      : scenario === "bulk"
        ? `Operations.enqueue, ${p.batch} jobs per call`
        : "Operations.enqueue, one job per call",
};
const notes: string[] = [];
try {
  result.metrics = scenario === "drain" ? await drain(notes) : await enqueueScenario(scenario === "one");
} catch (err) {
  result.error = err instanceof Error ? err.message : String(err);
}
if (notes.length) result.notes = notes;
process.stdout.write(RESULT_TAG + JSON.stringify(result) + "\n");
process.exit(0);
