/**
 * `npm run bench`: qworker against its peers on this machine, in one run —
 * memory and SQLite against bunqueue embedded, Redis against BullMQ on Node
 * on one private redis-server — plus the compiled binary's start-up and
 * idle RSS. Every measurement runs in a fresh child (scenario.ts under Bun;
 * bullmq-node.ts, bundled for Node, under `node`); this file only plans the
 * rounds, alternates which system goes first, collects the JSON lines,
 * prints the report and saves it to .bench/results-<timestamp>.json.
 * Last, bench/flow-drain.ts: the drain with a per-key concurrency limit
 * against none, for SQLite and Redis (issue 20).
 * `--store postgres` (in the default list) hands over to
 * bench/postgres/run.ts: pg-boss and BullMQ's PostgreSQL backend on the
 * machine's PostgreSQL, skipped with a note where none answers.
 *
 *   npm run bench -- [--store memory,sqlite,redis,postgres] [--rounds 3] [--jobs 20000] [--drain-jobs 50000]
 *     [--one-jobs 2000] [--batch 1000] [--samples 200] [--xsamples 100] [--pause 5,25]
 *     [--xpause 5,255] [--mem-jobs 10000] [--drain-cap 30] [--concurrency 50]
 *     [--redis-url redis://…] [--no-binary] [--child-timeout 180]
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ensureBinary, measureBinary, ROOT, type BinaryResult } from "./binary.ts";
import { benchRedis, redisVersion } from "./redis-tools.ts";
import { buildRows, buildTargets, markdownReport, PEER, textReport, type RoundResult } from "./report.ts";
import { WARM_UP } from "./latency-tools.ts";
import { cpuJiffies } from "./stats.ts";
import { RESULT_TAG, type ScenarioName, type ScenarioParams, type ScenarioResult, type StoreName, type SystemName } from "./types.ts";

const { values: args } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    store: { type: "string", multiple: true },
    rounds: { type: "string", default: "3" },
    jobs: { type: "string", default: "20000" },
    "drain-jobs": { type: "string", default: "50000" },
    "one-jobs": { type: "string", default: "2000" },
    batch: { type: "string", default: "1000" },
    samples: { type: "string", default: "200" },
    xsamples: { type: "string", default: "100" },
    pause: { type: "string", default: "5,25" },
    xpause: { type: "string", default: "5,255" },
    "mem-jobs": { type: "string", default: "10000" },
    "drain-cap": { type: "string", default: "30" },
    concurrency: { type: "string", default: "50" },
    "redis-url": { type: "string" },
    "no-binary": { type: "boolean", default: false },
    "child-timeout": { type: "string", default: "180" },
  },
  strict: true,
});

const num = (name: string, v: string | undefined) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${v}"`);
  return n;
};
const range = (name: string, v: string): [number, number] => {
  const [a, b] = v.split(",").map(Number);
  if (!(a >= 0 && b >= a)) throw new Error(`--${name} must be "min,max" in ms, got "${v}"`);
  return [a, b];
};

const ALL: StoreName[] = ["memory", "sqlite", "redis"];
const requested = (args.store ?? ["memory,sqlite,redis,postgres"]).flatMap((s) => s.split(",")).map((s) => s.trim());
// PostgreSQL has two peers and a bench of its own (bench/postgres/run.ts), run after the others.
const withPostgres = requested.includes("postgres");
const stores = requested.filter((s) => s !== "postgres") as StoreName[];
for (const s of stores) if (!ALL.includes(s)) throw new Error(`--store must be among ${[...ALL, "postgres"].join(", ")}; got "${s}"`);

/** bench/postgres/run.ts with this run's knobs; resolves to its exit code. */
async function runPostgresBench(): Promise<number> {
  const knobs = ["rounds", "jobs", "one-jobs", "batch", "concurrency", "child-timeout"].flatMap((k) => [`--${k}`, String(args[k as keyof typeof args])]);
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "postgres", "run.ts"), ...knobs], { stdio: ["ignore", "inherit", "inherit"] });
  return proc.exited;
}
if (stores.length === 0) process.exit(withPostgres ? await runPostgresBench() : 0);
const rounds = num("rounds", args.rounds);
const childTimeoutMs = num("child-timeout", args["child-timeout"]) * 1000;

const workDir = mkdtempSync(join(tmpdir(), "qworker-bench-"));
const params: ScenarioParams = {
  jobs: num("jobs", args.jobs),
  drainJobs: num("drain-jobs", args["drain-jobs"]),
  oneJobs: num("one-jobs", args["one-jobs"]),
  batch: num("batch", args.batch),
  concurrency: num("concurrency", args.concurrency),
  samples: num("samples", args.samples),
  xsamples: num("xsamples", args.xsamples),
  pauseMs: range("pause", args.pause!),
  xpauseMs: range("xpause", args.xpause!),
  memJobs: num("mem-jobs", args["mem-jobs"]),
  drainCapMs: num("drain-cap", args["drain-cap"]) * 1000,
  workDir,
};

const PLAN: Record<StoreName, ScenarioName[]> = {
  memory: ["bulk", "one", "drain", "latency"],
  sqlite: ["bulk", "one", "drain", "latency", "xlatency"],
  redis: ["bulk", "one", "drain", "latency", "redismem"],
};
const QWORKER_ONLY: ScenarioName[] = ["xlatency"];
/** Systems beyond each store's main peer, and the scenarios they run (BullMQ's defaults change only the drain). */
const EXTRA_PEERS: Partial<Record<StoreName, { system: SystemName; scenarios: ScenarioName[] }[]>> = {
  redis: [{ system: "bullmq-defaults", scenarios: ["drain"] }],
};

const log = (line: string) => process.stderr.write(line + "\n");
const started = performance.now();

const NODE_DIR = join(ROOT, ".bench", "node");
let stopRedis: (() => Promise<void>) | undefined;
if (stores.includes("redis")) {
  const redis = await benchRedis(args["redis-url"]);
  params.redisUrl = redis.url;
  stopRedis = redis.stop;
  log(`redis-server ${await redisVersion(params.redisUrl)} at ${params.redisUrl} (flushed before every child)`);
  await bundleForNode();
}

/** BullMQ's children run under Node, its main runtime: the TypeScript is bundled for it first (bullmq and ioredis stay external). */
async function bundleForNode(): Promise<void> {
  const node = Bun.which("node");
  if (!node) throw new Error("the Redis bench runs BullMQ under Node: install node (apt-get install nodejs)");
  const built = await Bun.build({
    entrypoints: [join(import.meta.dir, "bullmq-node.ts"), join(import.meta.dir, "bullmq-worker.ts")],
    outdir: NODE_DIR,
    target: "node",
    format: "esm",
    external: ["bullmq", "ioredis"],
  });
  if (!built.success) throw new Error(`bundling the BullMQ bench for Node failed: ${built.logs.join("\n")}`);
  const version = Bun.spawnSync([node, "--version"]).stdout.toString().trim();
  log(`BullMQ runs under Node ${version} (${NODE_DIR})`);
}

async function runChild(store: StoreName, system: SystemName, scenario: ScenarioName, round: number): Promise<RoundResult> {
  const t0 = performance.now();
  const [steal0, total0] = cpuJiffies();
  const argv = system.startsWith("bullmq")
    ? [Bun.which("node")!, join(NODE_DIR, "bullmq-node.js"), store, system, scenario, JSON.stringify(params), join(NODE_DIR, "bullmq-worker.js")]
    : [process.execPath, join(import.meta.dir, "scenario.ts"), store, system, scenario, JSON.stringify(params)];
  const proc = Bun.spawn(argv, {
    cwd: ROOT,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), childTimeoutMs);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  const wallMs = performance.now() - t0;
  const [steal1, total1] = cpuJiffies();
  const stealPct = (100 * (steal1 - steal0)) / Math.max(1, total1 - total0);
  const line = stdout.split("\n").find((l) => l.startsWith(RESULT_TAG));
  if (!line) {
    const why = code === null || proc.signalCode ? `killed (${proc.signalCode ?? "timeout"})` : `exit ${code}`;
    return { system, store, scenario, metrics: {}, peakRssMb: Number.NaN, error: `${why} without a result; stderr: ${stderr.trim().slice(-500)}`, round, wallMs, stealPct };
  }
  return { ...(JSON.parse(line.slice(RESULT_TAG.length)) as ScenarioResult), round, wallMs, stealPct };
}

function brief(r: RoundResult): string {
  if (r.error) return `ERROR ${r.error}`;
  const m = r.metrics;
  const parts: string[] = [];
  if (m.jobsPerSec !== undefined) parts.push(`${Math.round(m.jobsPerSec).toLocaleString("en-US")} jobs/s`);
  if (m.cpuUsPerJob !== undefined) parts.push(`CPU ${m.cpuUsPerJob.toFixed(1)} µs/job${m.redisCpuUsPerJob !== undefined ? ` + redis ${m.redisCpuUsPerJob.toFixed(1)} µs/job` : ""}`);
  if (m.storeJobsPerSec !== undefined) parts.push(`store ${Math.round(m.storeJobsPerSec).toLocaleString("en-US")} jobs/s`);
  if (m.p50Ms !== undefined) parts.push(`p50 ${m.p50Ms.toFixed(2)} ms p99 ${m.p99Ms.toFixed(2)} ms`);
  if (m.bytesPerJob !== undefined) parts.push(`${Math.round(m.bytesPerJob)} B/job`);
  parts.push(`peak RSS ${Math.round(r.peakRssMb)} MB`);
  return parts.join(", ") + (r.notes ? ` [${r.notes.join("; ")}]` : "");
}

const results: RoundResult[] = [];
const binary: BinaryResult[] = [];
const wantBinary = !args["no-binary"];
// The Redis drain runs the compiled binary as a whole process.
if (wantBinary || stores.includes("redis")) params.binary = ensureBinary();
try {
  for (let round = 1; round <= rounds; round++) {
    for (const store of stores) {
      for (const scenario of PLAN[store]) {
        const peer = PEER[store].system;
        // Alternate who goes first, so slow drift of the machine does not favour one side.
        const peers = [peer, ...(EXTRA_PEERS[store] ?? []).filter((e) => e.scenarios.includes(scenario)).map((e) => e.system)];
        const order: SystemName[] = QWORKER_ONLY.includes(scenario) ? ["qworker"] : round % 2 ? ["qworker", ...peers] : [...peers, "qworker"];
        for (const system of order) {
          const r = await runChild(store, system, scenario, round);
          results.push(r);
          log(`[round ${round}/${rounds}] ${store.padEnd(6)} ${scenario.padEnd(8)} ${system.padEnd(8)} ${brief(r)} (${(r.wallMs / 1000).toFixed(1)} s, steal ${r.stealPct.toFixed(0)}%)`);
        }
      }
    }
    if (wantBinary) {
      const b = await measureBinary();
      binary.push(b);
      log(`[round ${round}/${rounds}] binary   qworker run: /health 200 after ${b.healthMs.toFixed(0)} ms, idle RSS ${b.idleRssMb.toFixed(1)} MB${b.error ? ` ERROR ${b.error}` : ""}`);
    }
  }
} finally {
  await stopRedis?.();
  rmSync(workDir, { recursive: true, force: true });
}

const rows = buildRows(results, stores);
const targets = buildTargets(rows, stores, binary.filter((b) => !b.error), results);
const machine = `${cpus().length}× ${cpus()[0]?.model.trim() ?? "CPU"}, Bun ${Bun.version}`;
const date = new Date().toISOString();
const notes = [
  "qworker enqueues go through Operations.enqueue (the public path of the CLI, admin API and ctx.enqueue: request and schema validation, then one store.enqueue per call); the 'raw store.enqueue' row skips validation.",
  "bunqueue runs embedded (no server): in-memory without dataPath, SQLite with a dataPath; default options except concurrency 50. Its SQLite add/addBulk return before the rows are written (write buffer, unless durable: true per job); qworker's enqueue returns after the commit.",
  "bunqueue's embedded mode cannot share a queue between processes (that needs its TCP server), so the cross-process latency row has no peer; its target is absolute.",
  "Redis: BullMQ runs under Node. Row 'bullmq' sets qworker's default retention on the Worker (removeOnComplete { count: 1000 }, removeOnFail { age: 7 days }); 'bullmq-defaults' keeps BullMQ's defaults (every job kept). The drain runs each system's worker as a whole process, timed from spawn to exit: `qworker run --burst --role worker --concurrency 50` (the compiled binary, default settings, its per-job log line included) and a Node process with a BullMQ Worker at concurrency 50 that exits after its last completed event; CPU per job is that process's CPU time (start-up included) and redis-server's, divided by the jobs.",
  `Latency: one job at a time on an idle worker (${params.samples} samples in one process with ${params.pauseMs.join("–")} ms pauses; ${params.xsamples} across processes with ${params.xpauseMs.join("–")} ms pauses, long enough for the SQLite poller to back off to its 100 ms cap), timed from just before enqueue to the job body's first line (wall clock); the first ${WARM_UP} jobs of each run are untimed warm-up.`,
  "Drain CPU per job: CPU time the worker process (and, for Redis, redis-server) used during the drain, divided by the jobs; steadier than jobs/s on this shared VM, where other tenants steal cycles (steal is logged per child).",
  "Drains count completion events (emitted after the completion is stored), then check the store's completed count equals the job count.",
];
const errors = results.filter((r) => r.error).map((r) => `${r.store}/${r.system}/${r.scenario} round ${r.round}: ${r.error}`);
const stolen = results.filter((r) => r.stealPct > 10).map((r) => `${r.store}/${r.system}/${r.scenario} round ${r.round} ran while the hypervisor stole ${r.stealPct.toFixed(0)}% of the host CPU`);
const cut = results.filter((r) => r.notes?.length).map((r) => `${r.store}/${r.system}/${r.scenario} round ${r.round}: ${r.notes!.join("; ")}`);

const text = textReport(rows, stores, targets, binary.filter((b) => !b.error), rounds);
const markdown = markdownReport(rows, targets, binary.filter((b) => !b.error), { rounds, machine, date: date.slice(0, 10) });
console.log(text);
console.log("\nNOTES\n" + [...notes, ...cut, ...stolen].map((n) => `- ${n}`).join("\n"));
if (errors.length) console.log("\nERRORS\n" + errors.map((e) => `- ${e}`).join("\n"));
console.log("\nMARKDOWN (for the README)\n\n" + markdown);

mkdirSync(join(ROOT, ".bench"), { recursive: true });
const file = join(ROOT, ".bench", `results-${date.replace(/[:.]/g, "-")}.json`);
writeFileSync(file, JSON.stringify({ date, machine, stores, rounds, params: { ...params, workDir: undefined }, results, binary, rows, targets, notes, errors }, null, 2) + "\n");
console.log(`\nsaved ${file} (${((performance.now() - started) / 1000).toFixed(0)} s in all)`);
/** bench/flow-drain.ts: the cost of a per-key concurrency limit on the drain (issue 20), for SQLite and Redis. */
async function runFlowBench(): Promise<number> {
  const flowStores = stores.filter((s) => s === "sqlite" || s === "redis");
  if (flowStores.length === 0) return 0;
  const knobs = ["--store", flowStores.join(","), "--rounds", String(rounds), "--concurrency", String(params.concurrency), ...(args["redis-url"] ? ["--redis-url", args["redis-url"]] : [])];
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "flow-drain.ts"), ...knobs], { stdio: ["ignore", "inherit", "inherit"] });
  return proc.exited;
}
console.log("");
const flowStatus = await runFlowBench();
const postgresStatus = withPostgres ? await runPostgresBench() : 0;
process.exit(errors.length || postgresStatus || flowStatus ? 1 : 0);
