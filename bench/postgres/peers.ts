/**
 * The peers of the PostgreSQL bench, on Node (their runtime; run.ts bundles
 * this file for Node and runs it with `node`), against the same database:
 * `node peers.mjs <system> <scenario> '<params JSON>'`. Each child drops
 * the peer's schema and lets it migrate before anything is timed.
 *
 * pg-boss 10 (`new PgBoss({ connectionString, max: 10, supervise: false,
 * schedule: false })`: no maintenance or cron loops competing with the
 * drain). Enqueue: `insert()` per batch, `send()` one by one. Drain, in
 * three configurations (the report keeps its best):
 * - pgboss-work: 4 × `work({ batchSize: 50, pollingIntervalSeconds: 0.5 })`,
 *   the documented worker API at its shortest poll (up to 200 jobs in
 *   flight; work() sleeps the interval between fetches even after a full
 *   batch);
 * - pgboss-work-big: the same with batchSize 500 (up to 2,000 in flight);
 * - pgboss-fetch: 4 concurrent loops of `fetch({ batchSize: 50 })` then
 *   `complete(ids)`, with no sleep at all (up to 200 in flight).
 *
 * BullMQ's PostgreSQL backend (`createPostgresBackend`, pg pools of 10 for
 * the queue and concurrency + 10 for the worker), with the retention a
 * careful user sets: `removeOnComplete: { count: 1000 }`. Enqueue:
 * `addBulk()` per batch, `add()` one by one; drain: one `Worker` with the
 * bench's concurrency and a no-op processor.
 *
 * Drains count completion events and check the table afterwards.
 */

import { Queue, Worker, createPostgresBackend } from "bullmq";
import pg from "pg";
import PgBoss from "pg-boss";
import { payload, QUEUE, RESULT_TAG, type PgBenchParams, type PgBenchResult, type PgScenario, type PgSystem } from "./types.ts";

const [system, scenario, json] = process.argv.slice(2) as [PgSystem, PgScenario, string];
const p = JSON.parse(json) as PgBenchParams;

function rate(count: number, ms: number): number {
  return ms > 0 ? (count / ms) * 1000 : Number.NaN;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: p.url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---- pg-boss ----------------------------------------------------------------

const PGBOSS_DRAIN: Record<string, { settings: string; run(boss: PgBoss, name: string, count: () => number, add: (n: number) => void): Promise<() => Promise<void>> }> = {
  "pgboss-work": {
    settings: "4 × work({ batchSize: 50, pollingIntervalSeconds: 0.5 })",
    run: async (boss, name, _count, add) => {
      for (let w = 0; w < 4; w++) await boss.work(name, { batchSize: 50, pollingIntervalSeconds: 0.5 }, async (jobs) => add(jobs.length));
      return async () => void (await boss.offWork(name));
    },
  },
  "pgboss-work-big": {
    settings: "4 × work({ batchSize: 500, pollingIntervalSeconds: 0.5 })",
    run: async (boss, name, _count, add) => {
      for (let w = 0; w < 4; w++) await boss.work(name, { batchSize: 500, pollingIntervalSeconds: 0.5 }, async (jobs) => add(jobs.length));
      return async () => void (await boss.offWork(name));
    },
  },
  "pgboss-fetch": {
    settings: "4 concurrent loops of fetch({ batchSize: 50 }) + complete(ids), no sleep",
    run: async (boss, name, count, add) => {
      let stop = false;
      const loops = Array.from({ length: 4 }, async () => {
        while (!stop && count() < p.jobs) {
          const jobs = await boss.fetch(name, { batchSize: 50 });
          if (jobs.length === 0) {
            await sleep(5);
            continue;
          }
          await boss.complete(name, jobs.map((j) => j.id));
          add(jobs.length);
        }
      });
      return async () => {
        stop = true;
        await Promise.all(loops);
      };
    },
  },
};

async function pgboss(notes: string[]): Promise<{ metrics: Record<string, number>; settings: string }> {
  await admin((c) => c.query("DROP SCHEMA IF EXISTS pgboss CASCADE"));
  const boss = new PgBoss({ connectionString: p.url, max: 10, supervise: false, schedule: false });
  boss.on("error", (e) => notes.push(`pg-boss error: ${e.message}`));
  await boss.start();
  await boss.createQueue(QUEUE);
  try {
    if (scenario === "one") {
      const t0 = performance.now();
      for (let i = 0; i < p.oneJobs; i++) await boss.send(QUEUE, payload(i));
      return { metrics: { jobsPerSec: rate(p.oneJobs, performance.now() - t0) }, settings: "send() one job per call" };
    }
    const insert = async () => {
      for (let i = 0; i < p.jobs; i += p.batch) await boss.insert(Array.from({ length: Math.min(p.batch, p.jobs - i) }, (_, j) => ({ name: QUEUE, data: payload(i + j) })));
    };
    if (scenario === "bulk") {
      const t0 = performance.now();
      await insert();
      const jobsPerSec = rate(p.jobs, performance.now() - t0);
      await expectStates("pgboss", { created: p.jobs });
      return { metrics: { jobsPerSec }, settings: `insert(), ${p.batch} jobs per call` };
    }
    await insert();
    await admin((c) => c.query("ANALYZE pgboss.job"));
    const config = PGBOSS_DRAIN[system];
    let done = 0;
    const t0 = performance.now();
    const stop = await config.run(boss, QUEUE, () => done, (n) => (done += n));
    // work() completes a batch after its handler returned: the drain ends when the table says so.
    let stored = 0;
    const capped = await untilDone(() => done >= p.jobs && stored >= p.jobs, async () => {
      if (done >= p.jobs) stored = await completedCount("pgboss");
    });
    const ms = performance.now() - t0;
    await stop();
    if (capped) {
      stored = await completedCount("pgboss");
      notes.push(`drain cut at ${p.drainCapMs} ms: ${stored} of ${p.jobs} done`);
    } else await expectStates("pgboss", { completed: p.jobs });
    return { metrics: { jobsPerSec: rate(stored, ms), jobs: stored }, settings: config.settings };
  } finally {
    await boss.stop({ graceful: false, wait: true, timeout: 5_000 }).catch(() => {});
  }
}

// ---- BullMQ -----------------------------------------------------------------

async function bullmq(notes: string[]): Promise<{ metrics: Record<string, number>; settings: string }> {
  await admin((c) => c.query("DROP SCHEMA IF EXISTS bullmq CASCADE"));
  const queue = new Queue(QUEUE, { connection: { connectionString: p.url, migrate: true, max: 10 } }, createPostgresBackend);
  queue.on("error", (e) => notes.push(`queue error: ${e.message}`));
  await queue.waitUntilReady();
  const opts = { removeOnComplete: { count: 1_000 } };
  try {
    if (scenario === "one") {
      const t0 = performance.now();
      for (let i = 0; i < p.oneJobs; i++) await queue.add("noop", payload(i), opts);
      return { metrics: { jobsPerSec: rate(p.oneJobs, performance.now() - t0) }, settings: "add() one job per call, removeOnComplete count 1000" };
    }
    const fill = async () => {
      for (let i = 0; i < p.jobs; i += p.batch) await queue.addBulk(Array.from({ length: Math.min(p.batch, p.jobs - i) }, (_, j) => ({ name: "noop", data: payload(i + j), opts })));
    };
    if (scenario === "bulk") {
      const t0 = performance.now();
      await fill();
      const jobsPerSec = rate(p.jobs, performance.now() - t0);
      const waiting = await queue.getWaitingCount();
      if (waiting !== p.jobs) throw new Error(`expected ${p.jobs} waiting, found ${waiting}`);
      return { metrics: { jobsPerSec }, settings: `addBulk(), ${p.batch} jobs per call, removeOnComplete count 1000` };
    }
    await fill();
    await admin((c) => c.query("ANALYZE bullmq.job"));
    let done = 0;
    const errors = new Map<string, number>();
    const t0 = performance.now();
    const worker = new Worker(QUEUE, async () => {}, { connection: { connectionString: p.url, max: p.concurrency + 10 }, concurrency: p.concurrency, removeOnComplete: { count: 1_000 } }, createPostgresBackend);
    worker.on("completed", () => void done++);
    worker.on("error", (e) => errors.set(e.message, (errors.get(e.message) ?? 0) + 1));
    const capped = await untilDone(() => done >= p.jobs);
    const ms = performance.now() - t0;
    const counted = done;
    await worker.close();
    for (const [m, n] of errors) notes.push(`worker error ×${n}: ${m}`);
    if (capped) notes.push(`drain cut at ${p.drainCapMs} ms: ${counted} of ${p.jobs} done`);
    return {
      metrics: { jobsPerSec: rate(counted, ms), jobs: counted },
      settings: `Worker concurrency ${p.concurrency}, no-op processor, removeOnComplete count 1000, pg pool ${p.concurrency + 10}`,
    };
  } finally {
    await queue.close();
  }
}

// ---- shared -----------------------------------------------------------------

/** Resolves false when `done()` holds, true when the drain cap passed first; `poll` runs between looks. */
async function untilDone(done: () => boolean, poll?: () => Promise<void>): Promise<boolean> {
  const deadline = performance.now() + p.drainCapMs;
  while (!done()) {
    if (performance.now() > deadline) return true;
    if (poll) await poll();
    await sleep(2);
  }
  return false;
}

async function completedCount(schema: string): Promise<number> {
  return admin(async (c) => (await c.query(`SELECT count(*)::int AS n FROM ${schema}.job WHERE state = 'completed'`)).rows[0].n as number);
}

async function expectStates(schema: string, want: Record<string, number>): Promise<void> {
  const rows = await admin(async (c) => (await c.query(`SELECT state::text AS state, count(*)::int AS n FROM ${schema}.job GROUP BY state`)).rows as { state: string; n: number }[]);
  const got = Object.fromEntries(rows.map((r) => [r.state, r.n]));
  for (const [state, n] of Object.entries(want)) if (got[state] !== n) throw new Error(`expected ${n} ${state} jobs, found ${JSON.stringify(got)}`);
}

const result: PgBenchResult = { system, scenario, metrics: {}, settings: "" };
const notes: string[] = [];
try {
  const out = system === "bullmq" ? await bullmq(notes) : await pgboss(notes);
  result.metrics = out.metrics;
  result.settings = out.settings;
} catch (err) {
  result.error = err instanceof Error ? err.message : String(err);
}
if (notes.length) result.notes = [...new Set(notes)].slice(0, 10);
process.stdout.write(RESULT_TAG + JSON.stringify(result) + "\n");
process.exit(0);
