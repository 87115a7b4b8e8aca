/**
 * Memory and file size of a long SQLite drain (issues 16 and 19): a file
 * seeded with N no-op jobs, drained by a running `qworker run` (the
 * compiled binary, server mode, so the scheduler's retention trims as it
 * would in production), sampled every second:
 *
 *  - the worker's RSS (/proc/<pid>/status VmRSS), and its peak (VmHWM);
 *  - jobs left (waiting + active, read from the file's kept counts);
 *  - the database file and its WAL, in MB.
 *
 * After the drain it keeps sampling until a retention pass has shrunk the
 * file (or `--after` seconds), so the table shows what retention bounds it
 * to. Prints the series as a table and a summary line.
 *
 * `--ram-size` sets BUN_JSC_forceRAMSize for the worker, as the systemd
 * units do (1073741824 by default here too); `--ram-size host` leaves Bun
 * to size its heap from the machine's RAM.
 *
 *   bun bench/rss-drain.ts [--jobs 1000000] [--concurrency 50] [--log-level warn] [--retention-interval 60s] [--after 90] [--ram-size host]
 */

import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { systemClock } from "../src/core/clock.ts";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.ts";
import { ensureBinary, freePort, ROOT } from "./binary.ts";
import { procStatusMb } from "./stats.ts";

const { values: args } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    jobs: { type: "string", default: "1000000" },
    concurrency: { type: "string", default: "50" },
    "log-level": { type: "string", default: "warn" },
    "retention-interval": { type: "string", default: "60s" },
    after: { type: "string", default: "90" },
    "ram-size": { type: "string", default: "1073741824" },
  },
  strict: true,
});
const jobs = Number(args.jobs);
const afterS = Number(args.after);

const binary = ensureBinary();
const dir = mkdtempSync(join(tmpdir(), "qworker-rss-"));
const db = join(dir, "qworker.db");
const config = join(dir, "qworker.json");
writeFileSync(config, JSON.stringify({ queues: ["bench"], scheduler: { retentionInterval: args["retention-interval"] } }));

function workerEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.BUN_JSC_forceRAMSize;
  if (args["ram-size"] !== "host") env.BUN_JSC_forceRAMSize = args["ram-size"];
  return env;
}

const fileMb = (path: string) => {
  try {
    return statSync(path).size / 1_048_576;
  } catch {
    return 0;
  }
};

async function seed(): Promise<void> {
  const store = new SqliteStore({ path: db, clock: systemClock });
  await store.open();
  const batch = 10_000;
  for (let i = 0; i < jobs; i += batch) {
    await store.enqueue({ jobs: Array.from({ length: Math.min(batch, jobs - i) }, (_, j) => ({ name: "noop", queue: "bench", data: { i: i + j }, maxAttempts: 3 })), now: Date.now() });
  }
  await store.close();
}

interface Sample {
  s: number;
  rssMb: number;
  left: number;
  completed: number;
  dbMb: number;
  walMb: number;
}

try {
  const t0 = performance.now();
  await seed();
  process.stderr.write(`seeded ${jobs.toLocaleString("en-US")} jobs in ${((performance.now() - t0) / 1000).toFixed(1)} s; file ${fileMb(db).toFixed(0)} MB\n`);
  const port = await freePort();
  const proc = Bun.spawn(
    [binary, "run", "--config", config, "--db", db, "--jobs", join(ROOT, "bench", "jobs"), "--concurrency", args.concurrency!, "--log-level", args["log-level"]!, "--admin-port", String(port)],
    { cwd: dir, stdout: "ignore", stderr: "ignore", env: workerEnv() },
  );
  const reader = new Database(db, { readonly: true });
  const counts = reader.query<{ waiting: number; active: number; completed: number }, []>("SELECT waiting, active, completed FROM queue_counts WHERE queue = 'bench'");
  const samples: Sample[] = [];
  const started = performance.now();
  let drainedAt: number | undefined;
  let trimmedAt: number | undefined;
  let peakDuringDrain = 0;
  try {
    for (;;) {
      await Bun.sleep(1_000);
      const c = counts.get() ?? { waiting: 0, active: 0, completed: 0 };
      const s = (performance.now() - started) / 1000;
      const sample = { s, rssMb: procStatusMb(proc.pid, "VmRSS"), left: c.waiting + c.active, completed: c.completed, dbMb: fileMb(db), walMb: fileMb(`${db}-wal`) };
      samples.push(sample);
      if (drainedAt === undefined) peakDuringDrain = Math.max(peakDuringDrain, sample.rssMb);
      if (drainedAt === undefined && sample.left === 0) drainedAt = s;
      // Done 10 s after retention has trimmed the completed jobs to its count (the file is compacted after the
      // trim: incremental vacuum, then a WAL checkpoint), or after the wait.
      if (drainedAt !== undefined && trimmedAt === undefined && c.completed <= 1_000 && s - drainedAt >= 3) trimmedAt = s;
      if (drainedAt !== undefined && (s - drainedAt >= afterS || (trimmedAt !== undefined && s - trimmedAt >= 10))) break;
      if (s > 3_600) throw new Error("the drain took over an hour");
    }
  } finally {
    const hwm = procStatusMb(proc.pid, "VmHWM");
    proc.kill("SIGTERM");
    await proc.exited;
    reader.close();
    const warm = samples.filter((x) => drainedAt === undefined || x.s <= drainedAt).slice(5);
    const warmRss = warm.map((x) => x.rssMb);
    console.log(`| s | RSS MB | jobs left | completed kept | db MB | WAL MB |\n|---:|---:|---:|---:|---:|---:|`);
    for (const x of samples) console.log(`| ${x.s.toFixed(0)} | ${x.rssMb.toFixed(0)} | ${x.left.toLocaleString("en-US")} | ${x.completed.toLocaleString("en-US")} | ${x.dbMb.toFixed(1)} | ${x.walMb.toFixed(1)} |`);
    const last = samples.at(-1);
    console.log(
      `\n${jobs.toLocaleString("en-US")} jobs, concurrency ${args.concurrency}, log level ${args["log-level"]}, BUN_JSC_forceRAMSize ${args["ram-size"]}: drained in ${drainedAt?.toFixed(0) ?? "?"} s; ` +
        `peak RSS ${hwm.toFixed(0)} MB (VmHWM; ${peakDuringDrain.toFixed(0)} MB sampled during the drain); ` +
        `after the first 5 s: ${Math.min(...warmRss).toFixed(0)}-${Math.max(...warmRss).toFixed(0)} MB; ` +
        `file at the end: ${last ? (last.dbMb + last.walMb).toFixed(1) : "?"} MB (db + WAL); ` +
        `largest seen: db ${Math.max(...samples.map((x) => x.dbMb)).toFixed(1)} MB, WAL ${Math.max(...samples.map((x) => x.walMb)).toFixed(1)} MB`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
