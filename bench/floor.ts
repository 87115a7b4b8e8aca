/**
 * `npm run bench:floor`: qworker against the least work possible (issue 19),
 * median of several rounds, alternating which goes first:
 *
 *  - SQLite drain: `qworker run --burst` (the compiled binary, start-up
 *    included) against floor/sqlite-floor.ts, both timed as whole processes
 *    from spawn to exit over a file seeded beforehand with the same jobs;
 *  - memory drain: qworker's pool over its memory store against
 *    floor/memory-floor.ts, each in its own process, drain only;
 *    The SQLite drain runs at the default log level (info: one line per
 *    try) and at warn.
 *  - bulk insert: `qworker enqueue --jsonl` (whole process) against the
 *    floor's insert loop (whole process); and the HTTP bulk route
 *    (`POST /api/jobs` with arrays of 10,000 jobs, limits.maxBulkJobs'
 *    default, to a running `qworker run --role api`, requests timed) against
 *    the floor's insert loop alone (process start excluded on both sides).
 *
 * The share is the median of the per-round shares (rounds pair a qworker
 * run with a floor run, alternating which goes first); each round's share
 * is printed too, since this machine is shared and noisy.
 *
 *   npm run bench:floor -- [--jobs 50000] [--rounds 3] [--concurrency 50] [--only memory]
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Database } from "bun:sqlite";
import { ensureBinary, freePort, ROOT } from "./binary.ts";
import { completedCount, insertFloor, openFloor } from "./floor/sqlite-floor.ts";
import { median, procStatusMb } from "./stats.ts";
import { systemClock } from "../src/core/clock.ts";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.ts";

const { values: args } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    jobs: { type: "string", default: "50000" },
    rounds: { type: "string", default: "3" },
    concurrency: { type: "string", default: "50" },
    /** Run only the pairs whose name contains this (e.g. "SQLite drain", "memory"). */
    only: { type: "string" },
  },
  strict: true,
});
const jobs = Number(args.jobs);
const rounds = Number(args.rounds);
const concurrency = Number(args.concurrency);
for (const [name, v] of Object.entries({ jobs, rounds, concurrency })) {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive whole number`);
}

const binary = ensureBinary();
const dir = mkdtempSync(join(tmpdir(), "qworker-floor-"));
const jobsDir = join(ROOT, "bench", "jobs");
const config = join(dir, "qworker.json");
writeFileSync(config, JSON.stringify({ queues: ["bench"], limits: { maxBulkJobs: Math.max(10_000, jobs) } }));
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, NO_COLOR: "1" };

interface Timed {
  ms: number;
  rssMb: number;
}

/** Spawn to exit, with the child's peak RSS from the kernel. */
async function timeProcess(cmd: string[]): Promise<Timed> {
  const t0 = performance.now();
  const proc = Bun.spawn(cmd, { cwd: dir, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  const ms = performance.now() - t0;
  if (code !== 0) throw new Error(`${cmd.join(" ")} exited ${code}\n${out}${err}`);
  return { ms, rssMb: peakRssMb(proc) };
}

/** Bun reports a child's maxRSS in bytes. */
function peakRssMb(proc: { resourceUsage(): { maxRSS: number } | undefined }): number {
  return (proc.resourceUsage()?.maxRSS ?? Number.NaN) / (1024 * 1024);
}

/** A fresh file name per round: a closed bun:sqlite handle may linger until its statements are collected. */
let fileSeq = 0;
function fresh(name: string): string {
  return join(dir, `${name}-${++fileSeq}.db`);
}

async function seedQworker(path: string): Promise<void> {
  const store = new SqliteStore({ path, clock: systemClock });
  await store.open();
  for (let i = 0; i < jobs; i += 1_000) {
    await store.enqueue({ jobs: Array.from({ length: Math.min(1_000, jobs - i) }, (_, j) => ({ name: "noop", queue: "bench", data: { i: i + j }, maxAttempts: 3 })), now: Date.now() });
  }
  await store.close();
}

async function qworkerSqliteDrain(level: "info" | "warn"): Promise<Timed> {
  const db = fresh("qworker");
  await seedQworker(db);
  const t = await timeProcess([binary, "run", "--burst", "--config", config, "--db", db, "--jobs", jobsDir, "--concurrency", String(concurrency), "--log-level", level]);
  const check = new Database(db, { readonly: true });
  const done = (check.query("SELECT count(*) AS n FROM jobs WHERE state = 'completed'").get() as { n: number }).n;
  check.close();
  if (done !== jobs) throw new Error(`qworker run --burst completed ${done} of ${jobs}`);
  return t;
}

async function floorSqliteDrain(): Promise<Timed> {
  const path = fresh("floor");
  const db = openFloor(path);
  insertFloor(db, jobs);
  db.close();
  const t = await timeProcess([process.execPath, join(ROOT, "bench", "floor", "sqlite-floor.ts"), "drain", path, String(concurrency)]);
  const check = openFloor(path);
  const done = completedCount(check);
  check.close();
  if (done !== jobs) throw new Error(`floor drain completed ${done} of ${jobs}`);
  return t;
}

async function qworkerInsert(): Promise<Timed> {
  const db = fresh("insert");
  const file = join(dir, "jobs.jsonl");
  writeFileSync(file, Array.from({ length: jobs }, (_, i) => JSON.stringify({ i })).join("\n") + "\n");
  return timeProcess([binary, "enqueue", "noop", "--jsonl", file, "--config", config, "--db", db, "--jobs", jobsDir]);
}

async function floorInsert(): Promise<Timed> {
  const path = fresh("floor-insert");
  return timeProcess([process.execPath, join(ROOT, "bench", "floor", "sqlite-floor.ts"), "insert", path, String(jobs)]);
}

/** The floor's insert loop alone, as the script measures it (no process start). */
async function floorInsertLoop(): Promise<Timed> {
  const path = fresh("floor-insert");
  const proc = Bun.spawn([process.execPath, join(ROOT, "bench", "floor", "sqlite-floor.ts"), "insert", path, String(jobs)], { cwd: dir, env, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`sqlite-floor.ts insert exited ${code}\n${out}${err}`);
  return { ms: (JSON.parse(out.trim()) as { ms: number }).ms, rssMb: peakRssMb(proc) };
}

/** POST /api/jobs in arrays of HTTP_BATCH to a running `qworker run --role api`; the requests are timed. */
const HTTP_BATCH = 10_000;
async function qworkerHttpInsert(): Promise<Timed> {
  const db = fresh("http");
  const port = await freePort();
  const proc = Bun.spawn([binary, "run", "--role", "api", "--config", config, "--db", db, "--jobs", jobsDir, "--admin-port", String(port), "--log-level", "warn"], { cwd: dir, env, stdout: "ignore", stderr: "pipe" });
  const url = `http://127.0.0.1:${port}`;
  try {
    for (let waited = 0; ; waited += 20) {
      if (waited > 15_000) throw new Error("qworker run --role api did not answer /health within 15 s");
      const up = await fetch(`${url}/health`).then((r) => r.ok, () => false);
      if (up) break;
      await Bun.sleep(20);
    }
    const bodies: string[] = [];
    for (let i = 0; i < jobs; i += HTTP_BATCH) {
      bodies.push(JSON.stringify(Array.from({ length: Math.min(HTTP_BATCH, jobs - i) }, (_, j) => ({ name: "noop", data: { i: i + j } }))));
    }
    const t0 = performance.now();
    for (const body of bodies) {
      const res = await fetch(`${url}/api/jobs`, { method: "POST", headers: { "content-type": "application/json" }, body });
      if (res.status !== 201) throw new Error(`POST /api/jobs answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    }
    const ms = performance.now() - t0;
    return { ms, rssMb: procStatusMb(proc.pid, "VmHWM") };
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
  }
}

async function memoryDrain(which: "floor" | "qworker"): Promise<Timed> {
  const proc = Bun.spawn([process.execPath, join(ROOT, "bench", "floor", "memory-floor.ts"), which, String(jobs), String(concurrency)], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`memory-floor.ts ${which} exited ${code}\n${out}${err}`);
  const r = JSON.parse(out.trim().split("\n").at(-1)!) as { ms: number };
  return { ms: r.ms, rssMb: peakRssMb(proc) };
}

const n = jobs.toLocaleString("en-US");
const PAIRS: { name: string; qworker: () => Promise<Timed>; floor: () => Promise<Timed> }[] = [
  { name: `SQLite drain, ${n} no-op jobs, whole process, log level info`, qworker: () => qworkerSqliteDrain("info"), floor: floorSqliteDrain },
  { name: `SQLite drain, ${n} no-op jobs, whole process, log level warn`, qworker: () => qworkerSqliteDrain("warn"), floor: floorSqliteDrain },
  { name: `memory drain, ${n} no-op jobs, drain only`, qworker: () => memoryDrain("qworker"), floor: () => memoryDrain("floor") },
  { name: `SQLite bulk insert, ${n} jobs, whole process (enqueue --jsonl)`, qworker: qworkerInsert, floor: floorInsert },
  { name: `SQLite bulk insert, ${n} jobs, HTTP bulk route (${HTTP_BATCH.toLocaleString("en-US")}/request) vs the floor's loop`, qworker: qworkerHttpInsert, floor: floorInsertLoop },
];

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
try {
  console.log(`qworker against the floor: ${rounds} rounds, concurrency ${concurrency}, median per column\n`);
  console.log("| what | floor jobs/s | qworker jobs/s | share of floor | each round's share | floor peak RSS | qworker peak RSS |");
  console.log("|---|---|---|---|---|---|---|");
  for (const pair of PAIRS.filter((p) => !args.only || p.name.toLowerCase().includes(args.only.toLowerCase()))) {
    const q: Timed[] = [];
    const f: Timed[] = [];
    for (let r = 0; r < rounds; r++) {
      // Alternate who goes first, so neither always meets a warm page cache.
      if (r % 2 === 0) {
        q.push(await pair.qworker());
        f.push(await pair.floor());
      } else {
        f.push(await pair.floor());
        q.push(await pair.qworker());
      }
    }
    const qRate = median(q.map((t) => (jobs / t.ms) * 1000));
    const fRate = median(f.map((t) => (jobs / t.ms) * 1000));
    const shares = q.map((t, i) => f[i].ms / t.ms);
    const rss = (ts: Timed[]) => `${fmt(median(ts.map((t) => t.rssMb)))} MB`;
    console.log(`| ${pair.name} | ${fmt(fRate)} | ${fmt(qRate)} | ${median(shares).toFixed(2)} | ${shares.map((x) => x.toFixed(2)).join(", ")} | ${rss(f)} | ${rss(q)} |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
