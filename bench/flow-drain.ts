/**
 * The cost of flow control (issue 20): drain 20,000 no-op jobs with one
 * per-key concurrency limit (100 keys, max 5 each) against the same drain
 * with no limit, on SQLite and Redis, through an in-process WorkerPool of
 * concurrency 50. Rounds alternate which variant goes first; the median of
 * each is reported, and the slowdown. `npm run bench` runs it last;
 * alone: `bun bench/flow-drain.ts [--store sqlite,redis] [--jobs 20000] [--rounds 3]`.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { NewJob } from "../src/core/types.ts";
import { makePool, openQworker } from "./qworker-scenarios.ts";
import { benchRedis } from "./redis-tools.ts";
import { median, rate } from "./stats.ts";
import { payload, QUEUE, type ScenarioParams, type StoreName } from "./types.ts";

const { values: args } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    store: { type: "string", default: "sqlite,redis" },
    jobs: { type: "string", default: "20000" },
    rounds: { type: "string", default: "3" },
    concurrency: { type: "string", default: "50" },
    "redis-url": { type: "string" },
  },
  strict: true,
});

const JOBS = Number(args.jobs);
const ROUNDS = Number(args.rounds);
const KEYS = 100;
const MAX = 5;
type Variant = "none" | "per-key";

const job = (i: number, variant: Variant): NewJob => ({
  name: "noop",
  queue: QUEUE,
  data: payload(i),
  maxAttempts: 3,
  ...(variant === "per-key" ? { flow: { limits: [{ key: `j:noop:k${i % KEYS}`, max: MAX }] } } : {}),
});

async function drainOnce(kind: StoreName, variant: Variant, p: ScenarioParams): Promise<number> {
  const q = await openQworker(kind, p);
  try {
    for (let i = 0; i < JOBS; i += 1_000) await q.store.enqueue({ jobs: Array.from({ length: Math.min(1_000, JOBS - i) }, (_, j) => job(i + j, variant)), now: Date.now() });
    const pool = makePool(q, p.concurrency);
    let done = 0;
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    pool.events.on("job:end", () => {
      if (++done === JOBS) finish();
    });
    const t0 = performance.now();
    pool.start();
    const capped = await Promise.race([finished.then(() => false), Bun.sleep(p.drainCapMs).then(() => true)]);
    const ms = performance.now() - t0;
    await pool.stop(5_000);
    if (capped) throw new Error(`${kind} ${variant}: drain cut at ${p.drainCapMs} ms with ${done} of ${JOBS} done`);
    const [counts] = await q.store.counts([QUEUE]);
    if (counts.completed !== JOBS) throw new Error(`${kind} ${variant}: ${counts.completed} of ${JOBS} completed`);
    return rate(JOBS, ms);
  } finally {
    await q.close();
  }
}

const workDir = mkdtempSync(join(tmpdir(), "qworker-flow-bench-"));
const stores = args.store!.split(",").map((s) => s.trim()) as StoreName[];
let stopRedis: (() => Promise<void>) | undefined;
const params: ScenarioParams = {
  jobs: JOBS,
  drainJobs: JOBS,
  oneJobs: 0,
  batch: 1_000,
  concurrency: Number(args.concurrency),
  samples: 0,
  xsamples: 0,
  pauseMs: [0, 0],
  xpauseMs: [0, 0],
  memJobs: 0,
  drainCapMs: 120_000,
  workDir,
};
if (stores.includes("redis")) {
  const redis = await benchRedis(args["redis-url"]);
  params.redisUrl = redis.url;
  stopRedis = redis.stop;
}

try {
  console.log(`flow control drain: ${JOBS} no-op jobs, pool concurrency ${params.concurrency}, per-key = ${KEYS} keys with concurrency.max ${MAX}; median of ${ROUNDS} rounds`);
  for (const kind of stores) {
    const runs: Record<Variant, number[]> = { none: [], "per-key": [] };
    for (let r = 0; r < ROUNDS; r++) {
      const order: Variant[] = r % 2 === 0 ? ["none", "per-key"] : ["per-key", "none"];
      for (const v of order) runs[v].push(await drainOnce(kind, v, params));
    }
    const none = median(runs.none);
    const keyed = median(runs["per-key"]);
    const slower = ((none - keyed) / none) * 100;
    console.log(
      `${kind.padEnd(7)} no limit ${Math.round(none).toLocaleString("en-US")} jobs/s [${runs.none.map(Math.round).join(", ")}]` +
        `  per-key limit ${Math.round(keyed).toLocaleString("en-US")} jobs/s [${runs["per-key"].map(Math.round).join(", ")}]` +
        `  ${slower >= 0 ? `${slower.toFixed(1)}% slower` : `${(-slower).toFixed(1)}% faster`} (goal: at most 15% slower)`,
    );
  }
} finally {
  await stopRedis?.();
  rmSync(workDir, { recursive: true, force: true });
}
