/**
 * `npm run bench:modes`: what each execution mode costs, on the memory
 * store, every measurement in a fresh child process (modes-scenario.ts),
 * rounds alternating the order of the modes, medians printed:
 *
 * - drain: N no-op jobs through the pool (concurrency C): jobs/s, and CPU
 *   per job summed over the process, its threads and its job-host children;
 * - round trip: one no-op try at a time through the executor alone (no
 *   store): wall time and CPU per try;
 * - latency: enqueue → job body on an idle pool, p50/p99;
 * - "extra per job": each figure minus async mode's, i.e. what running a
 *   job in a thread or a child process adds.
 *
 *   npm run bench:modes -- [--rounds 3] [--jobs 20000] [--concurrency 50] [--tries 3000] [--samples 200]
 */

import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { ModeParams } from "./modes-scenario.ts";
import { cpuJiffies, median } from "./stats.ts";
import { RESULT_TAG } from "./types.ts";

const { values: args } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    rounds: { type: "string", default: "3" },
    jobs: { type: "string", default: "20000" },
    concurrency: { type: "string", default: "50" },
    tries: { type: "string", default: "3000" },
    samples: { type: "string", default: "200" },
  },
  strict: true,
});
const num = (name: string, v: string | undefined) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive whole number, got "${v}"`);
  return n;
};

const MODES = ["async", "thread", "process"] as const;
const SCENARIOS = ["roundtrip", "drain", "latency"] as const;
type Mode = (typeof MODES)[number];
type Scenario = (typeof SCENARIOS)[number];

const rounds = num("rounds", args.rounds);
const workDir = mkdtempSync(join(tmpdir(), "qworker-bench-modes-"));
const params: ModeParams = {
  jobs: num("jobs", args.jobs),
  concurrency: num("concurrency", args.concurrency),
  tries: num("tries", args.tries),
  samples: num("samples", args.samples),
  pauseMs: [5, 25],
  workDir,
  drainCapMs: 60_000,
};

interface Result {
  mode: Mode;
  scenario: Scenario;
  metrics: Record<string, number>;
  peakRssMb: number;
  error?: string;
  stealPct: number;
}

async function child(mode: Mode, scenario: Scenario): Promise<Result> {
  const [s0, t0] = cpuJiffies();
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "modes-scenario.ts"), mode, scenario, JSON.stringify(params)], { stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 180_000);
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  const [s1, t1] = cpuJiffies();
  const stealPct = (100 * (s1 - s0)) / Math.max(1, t1 - t0);
  const line = out.split("\n").find((l) => l.startsWith(RESULT_TAG));
  if (!line) return { mode, scenario, metrics: {}, peakRssMb: Number.NaN, error: `no result; stderr: ${err.trim().slice(-400)}`, stealPct };
  return { ...(JSON.parse(line.slice(RESULT_TAG.length)) as Omit<Result, "stealPct">), stealPct };
}

const results: Result[] = [];
const t0 = performance.now();
try {
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 ? [...MODES] : [...MODES].reverse();
    for (const scenario of SCENARIOS) {
      for (const mode of order) {
        const r = await child(mode, scenario);
        results.push(r);
        const m = r.metrics;
        const brief = r.error
          ? `ERROR ${r.error}`
          : scenario === "drain"
            ? `${Math.round(m.jobsPerSec)} jobs/s, CPU ${m.cpuUsPerJob.toFixed(1)} µs/job`
            : scenario === "roundtrip"
              ? `${m.wallUsPerTry.toFixed(1)} µs/try (p50 ${m.p50Us.toFixed(1)}), CPU ${m.cpuUsPerTry.toFixed(1)} µs/try`
              : `p50 ${m.p50Ms.toFixed(2)} ms, p99 ${m.p99Ms.toFixed(2)} ms`;
        process.stderr.write(`[round ${round}/${rounds}] ${scenario.padEnd(9)} ${mode.padEnd(7)} ${brief} (steal ${r.stealPct.toFixed(0)}%)\n`);
      }
    }
  }
} finally {
  rmSync(workDir, { recursive: true, force: true });
}

const med = (mode: Mode, scenario: Scenario, key: string) => median(results.filter((r) => r.mode === mode && r.scenario === scenario && !r.error).map((r) => r.metrics[key]));
const rss = (mode: Mode, scenario: Scenario) => median(results.filter((r) => r.mode === mode && r.scenario === scenario && !r.error).map((r) => r.peakRssMb + (r.metrics.childrenPeakRssMb ?? 0)));
const f = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "–");
const extra = (mode: Mode, scenario: Scenario, key: string) => (mode === "async" ? "–" : `+${f(med(mode, scenario, key) - med("async", scenario, key))}`);

const rows = [
  "| mode | drain jobs/s | drain CPU µs/job | extra CPU µs/job | try round trip µs (p50) | extra µs/try | try CPU µs | extra CPU µs/try | enqueue→start p50 / p99 ms | peak RSS MB (drain, hosts included) |",
  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ...MODES.map(
    (m) =>
      `| ${m} | ${Math.round(med(m, "drain", "jobsPerSec")).toLocaleString("en-US")} | ${f(med(m, "drain", "cpuUsPerJob"))} | ${extra(m, "drain", "cpuUsPerJob")} | ${f(med(m, "roundtrip", "wallUsPerTry"))} (${f(med(m, "roundtrip", "p50Us"))}) | ${extra(m, "roundtrip", "wallUsPerTry")} | ${f(med(m, "roundtrip", "cpuUsPerTry"))} | ${extra(m, "roundtrip", "cpuUsPerTry")} | ${f(med(m, "latency", "p50Ms"), 2)} / ${f(med(m, "latency", "p99Ms"), 2)} | ${Math.round(rss(m, "drain"))} |`,
  ),
];
const errors = results.filter((r) => r.error);
console.log(`\nExecution modes, memory store, medians of ${rounds} rounds (${new Date().toISOString().slice(0, 16)}Z, ${cpus().length}× ${cpus()[0]?.model.trim()}, Bun ${Bun.version}); drain ${params.jobs} no-op jobs at concurrency ${params.concurrency}; ${params.tries} sequential tries; ${params.samples} latency samples\n`);
console.log(rows.join("\n"));
if (errors.length) console.log("\nERRORS\n" + errors.map((e) => `- ${e.mode}/${e.scenario}: ${e.error}`).join("\n"));
console.log(`\n(${((performance.now() - t0) / 1000).toFixed(0)} s)`);
process.exit(errors.length ? 1 : 0);
