/**
 * CPU profile of a drain, summarised as the top self-time functions
 * (issue 19: "profile, then cut"). Runs the drain in a child under
 * `bun --cpu-prof`, so the profile holds the drain and its start-up only:
 *
 *  - sqlite: `qworker run --burst` from the sources (src/main.ts, the same
 *    code as the binary) over a file seeded beforehand;
 *  - memory: a WorkerPool over a MemoryStore seeded in the same process,
 *    logging through the real logger (stderr goes to /dev/null).
 *
 *   bun bench/profile/drain.ts [--store sqlite|memory] [--jobs 200000] [--log-level info|warn] [--top 10]
 */

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { systemClock } from "../../src/core/clock.ts";
import { createLogger, type LogLevel } from "../../src/core/logger.ts";
import { ROOT } from "../binary.ts";
import { topSelfTime } from "./top.ts";

const { values: args } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    store: { type: "string", default: "sqlite" },
    jobs: { type: "string", default: "200000" },
    concurrency: { type: "string", default: "50" },
    "log-level": { type: "string", default: "info" },
    top: { type: "string", default: "10" },
    /** Internal: the child's part. */
    child: { type: "string" },
  },
  strict: true,
});
const jobs = Number(args.jobs);
const concurrency = Number(args.concurrency);
const level = args["log-level"] as LogLevel;
const JOBS_DIR = join(ROOT, "bench", "jobs");

async function seedSqlite(path: string): Promise<void> {
  const { SqliteStore } = await import("../../src/store/sqlite/sqlite-store.ts");
  const store = new SqliteStore({ path, clock: systemClock });
  await store.open();
  for (let i = 0; i < jobs; i += 1_000) {
    await store.enqueue({ jobs: Array.from({ length: Math.min(1_000, jobs - i) }, (_, j) => ({ name: "noop", queue: "bench", data: { i: i + j }, maxAttempts: 3 })), now: Date.now() });
  }
  await store.close();
}

async function memoryChild(): Promise<void> {
  const { MemoryStore } = await import("../../src/store/memory/memory-store.ts");
  const { Registry } = await import("../../src/registry/registry.ts");
  const { WorkerPool } = await import("../../src/worker/pool.ts");
  const store = new MemoryStore(systemClock);
  await store.open();
  for (let i = 0; i < jobs; i += 1_000) {
    await store.enqueue({ jobs: Array.from({ length: Math.min(1_000, jobs - i) }, (_, j) => ({ name: "noop", queue: "bench", data: { i: i + j }, maxAttempts: 3 })), now: Date.now() });
  }
  const registry = (await Registry.load({ dir: JOBS_DIR, queues: ["bench"] })).assertValid();
  const pool = new WorkerPool({
    store,
    registry,
    clock: systemClock,
    log: createLogger({ level, format: "json" }),
    queues: ["bench"],
    concurrency,
    leaseMs: 30_000,
    burst: true,
    enqueue: async () => "",
  });
  const t0 = performance.now();
  pool.start();
  await pool.drained;
  await pool.stop(1_000);
  process.stdout.write(JSON.stringify({ drainMs: performance.now() - t0 }) + "\n");
}

if (args.child === "memory") {
  await memoryChild();
} else {
  const dir = mkdtempSync(join(tmpdir(), "qworker-prof-"));
  try {
    let cmd: string[];
    if (args.store === "sqlite") {
      const db = join(dir, "q.db");
      await seedSqlite(db);
      const config = join(dir, "qworker.json");
      writeFileSync(config, JSON.stringify({ queues: ["bench"] }));
      cmd = [join(ROOT, "src", "main.ts"), "run", "--burst", "--config", config, "--db", db, "--jobs", JOBS_DIR, "--concurrency", String(concurrency), "--log-level", level, "--log-format", "json"];
    } else if (args.store === "memory") {
      cmd = [import.meta.path, "--child", "memory", "--jobs", String(jobs), "--concurrency", String(concurrency), "--log-level", level];
    } else throw new Error(`--store must be sqlite or memory, got ${args.store}`);
    const t0 = performance.now();
    const proc = Bun.spawn([process.execPath, "--cpu-prof", `--cpu-prof-dir=${dir}`, ...cmd], { cwd: dir, stdout: "pipe", stderr: "ignore" });
    const out = await new Response(proc.stdout).text();
    if ((await proc.exited) !== 0) throw new Error(`the profiled drain exited ${proc.exitCode}: ${out}`);
    const wallMs = performance.now() - t0;
    const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
    if (!file) throw new Error("no .cpuprofile was written");
    const rows = topSelfTime(JSON.parse(readFileSync(join(dir, file), "utf8")), Number(args.top));
    console.log(`${args.store} drain of ${jobs.toLocaleString("en-US")} no-op jobs, concurrency ${concurrency}, log level ${level}: ${Math.round(wallMs)} ms whole process ${out.trim()}`);
    console.log("| self ms | share | function |\n|---:|---:|---|");
    for (const r of rows) console.log(`| ${r.ms.toFixed(1)} | ${(r.share * 100).toFixed(1)}% | \`${r.name}\` |`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
