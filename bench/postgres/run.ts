/**
 * The PostgreSQL bench: qworker's postgres store against pg-boss and
 * BullMQ's PostgreSQL backend, on the same server and database, in the
 * same run. `npm run bench -- --store postgres` runs it (bench/run.ts hands
 * over); on its own:
 *
 *   bun bench/postgres/run.ts [--rounds 3] [--jobs 20000] [--one-jobs 2000]
 *     [--batch 1000] [--concurrency 50] [--drain-cap 60] [--postgres-url postgres://…]
 *     [--systems qworker,qworker-sync] [--scenarios drain]
 *
 * A fresh database is created on the server of --postgres-url (default the
 * machine's, postgres@127.0.0.1:5432) and dropped at the end. Every
 * measurement runs in a fresh child: qworker on Bun (its drain is the whole
 * compiled `qworker run --burst` process), the peers on Node, their runtime
 * (peers.ts, bundled for Node first). Rounds rotate who goes first; the
 * report gives medians of the rounds, each peer at its best configuration,
 * and qworker's ratio to the faster peer.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { ensureBinary } from "../binary.ts";
import { cpuJiffies } from "../stats.ts";
import { PLAN, RESULT_TAG, type PgBenchParams, type PgBenchResult, type PgScenario, type PgSystem } from "./types.ts";
import { markdownTable, reportRows, textReport, type RoundResult } from "./report.ts";

const ROOT = resolve(import.meta.dir, "../..");
const { values: args } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    rounds: { type: "string", default: "3" },
    jobs: { type: "string", default: "20000" },
    "one-jobs": { type: "string", default: "2000" },
    batch: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "50" },
    "drain-cap": { type: "string", default: "60" },
    "postgres-url": { type: "string", default: process.env.QWORKER_BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres" },
    "child-timeout": { type: "string", default: "240" },
    // Subsets, for a before/after of qworker alone: comma-separated names from PLAN (types.ts).
    systems: { type: "string" },
    scenarios: { type: "string", default: "bulk,one,drain" },
  },
  strict: true,
});

const num = (name: string, v: string | undefined) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${v}"`);
  return n;
};
const log = (line: string) => process.stderr.write(line + "\n");
const rounds = num("rounds", args.rounds);
const childTimeoutMs = num("child-timeout", args["child-timeout"]) * 1000;
const adminUrl = args["postgres-url"]!;

/** Creates the bench database, or says why it cannot and exits 0 (a machine without PostgreSQL skips this part). */
async function createDatabase(name: string): Promise<string | undefined> {
  const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  c.on("error", () => {});
  try {
    await c.connect();
    await c.query(`CREATE DATABASE "${name}"`);
    const version = (await c.query("SHOW server_version")).rows[0].server_version;
    const u = new URL(adminUrl);
    u.pathname = `/${name}`;
    log(`PostgreSQL ${version} at ${u.host}, database ${name} (created for this run, dropped after)`);
    return u.toString();
  } catch (err) {
    log(`postgres bench skipped: cannot create a database through ${adminUrl.replace(/:[^:@/]*@/, ":***@")}: ${(err as Error).message}`);
    return undefined;
  } finally {
    await c.end().catch(() => {});
  }
}

async function dropDatabase(name: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).finally(() => c.end());
}

/** peers.ts as one Node ESM file under .bench/ (git-ignored), so `node` resolves pg-boss and bullmq from the project. */
async function bundlePeers(): Promise<string> {
  const outdir = join(ROOT, ".bench", "postgres-peers");
  const built = await Bun.build({ entrypoints: [join(import.meta.dir, "peers.ts")], outdir, target: "node", format: "esm", packages: "external", naming: "peers.mjs" });
  if (!built.success) throw new AggregateError(built.logs, "bundling bench/postgres/peers.ts for node failed");
  return join(outdir, "peers.mjs");
}

async function runChild(cmd: string[], system: PgSystem, scenario: PgScenario, round: number): Promise<RoundResult> {
  const t0 = performance.now();
  const [steal0, total0] = cpuJiffies();
  const proc = Bun.spawn(cmd, { cwd: ROOT, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), childTimeoutMs);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  const [steal1, total1] = cpuJiffies();
  const extra = { round, wallMs: performance.now() - t0, stealPct: (100 * (steal1 - steal0)) / Math.max(1, total1 - total0) };
  const line = stdout.split("\n").find((l) => l.startsWith(RESULT_TAG));
  if (!line) return { system, scenario, metrics: {}, settings: "", error: `exit ${code} without a result; stderr: ${stderr.trim().slice(-500)}`, ...extra };
  return { ...(JSON.parse(line.slice(RESULT_TAG.length)) as PgBenchResult), ...extra };
}

const onlySystems = args.systems?.split(",");
const onlyScenarios = args.scenarios!.split(",") as PgScenario[];
for (const s of onlyScenarios) if (!(s in PLAN)) throw new Error(`--scenarios takes ${Object.keys(PLAN).join(", ")}; got "${s}"`);
for (const s of onlySystems ?? []) if (!Object.values(PLAN).some((list) => list.includes(s as PgSystem))) throw new Error(`--systems: unknown system "${s}"`);

const dbName = `qwbench_${process.pid}`;
const url = await createDatabase(dbName);
if (!url) process.exit(0);
const workDir = mkdtempSync(join(tmpdir(), "qworker-pgbench-"));
const params: PgBenchParams = {
  url,
  jobs: num("jobs", args.jobs),
  oneJobs: num("one-jobs", args["one-jobs"]),
  batch: num("batch", args.batch),
  concurrency: num("concurrency", args.concurrency),
  drainCapMs: num("drain-cap", args["drain-cap"]) * 1000,
  workDir,
};
const started = performance.now();
const results: RoundResult[] = [];
try {
  ensureBinary();
  const peers = await bundlePeers();
  const node = Bun.which("node");
  if (!node) throw new Error("the peers run on Node: install nodejs");
  const nodeVersion = Bun.spawnSync([node, "--version"]).stdout.toString().trim();
  log(`qworker on Bun ${Bun.version}; pg-boss and BullMQ on Node ${nodeVersion}`);
  for (let round = 1; round <= rounds; round++) {
    for (const scenario of onlyScenarios) {
      const systems = PLAN[scenario].filter((s) => !onlySystems || onlySystems.includes(s));
      // Rotate who goes first, so slow drift of the machine does not favour one side.
      const shift = (round - 1) % systems.length;
      for (const system of [...systems.slice(shift), ...systems.slice(0, shift)]) {
        const cmd =
          system === "qworker" || system === "qworker-sync"
            ? [process.execPath, join(import.meta.dir, "qworker.ts"), scenario, JSON.stringify(params), system === "qworker-sync" ? "sync" : "default"]
            : [node, peers, system, scenario, JSON.stringify(params)];
        const r = await runChild(cmd, system, scenario, round);
        results.push(r);
        const figure = r.error ? `ERROR ${r.error}` : `${Math.round(r.metrics.jobsPerSec).toLocaleString("en-US")} jobs/s`;
        log(`[round ${round}/${rounds}] ${scenario.padEnd(5)} ${system.padEnd(15)} ${figure}${r.notes ? ` [${r.notes.join("; ")}]` : ""} (${(r.wallMs / 1000).toFixed(1)} s, steal ${r.stealPct.toFixed(0)}%)`);
      }
    }
  }
} finally {
  await dropDatabase(dbName).catch((err) => log(`could not drop ${dbName}: ${(err as Error).message}`));
  rmSync(workDir, { recursive: true, force: true });
}

const rows = reportRows(results);
const machine = `${cpus().length}× ${cpus()[0]?.model.trim() ?? "CPU"}, Bun ${Bun.version}`;
const date = new Date().toISOString();
console.log(textReport(rows, rounds));
const settings = [...new Map(results.filter((r) => !r.error).map((r) => [`${r.system}/${r.scenario}`, r.settings])).entries()];
console.log("\nSETTINGS\n" + settings.map(([k, v]) => `- ${k}: ${v}`).join("\n"));
const errors = results.filter((r) => r.error).map((r) => `${r.system}/${r.scenario} round ${r.round}: ${r.error}`);
const notes = results.filter((r) => r.notes?.length).map((r) => `${r.system}/${r.scenario} round ${r.round}: ${r.notes!.join("; ")}`);
if (notes.length) console.log("\nNOTES\n" + notes.map((n) => `- ${n}`).join("\n"));
if (errors.length) console.log("\nERRORS\n" + errors.map((e) => `- ${e}`).join("\n"));
console.log("\nMARKDOWN (for the README)\n\n" + markdownTable(rows, { rounds, machine, date: date.slice(0, 10) }));
mkdirSync(join(ROOT, ".bench"), { recursive: true });
const file = join(ROOT, ".bench", `postgres-${date.replace(/[:.]/g, "-")}.json`);
writeFileSync(file, JSON.stringify({ date, machine, rounds, params: { ...params, url: undefined, workDir: undefined }, results, rows }, null, 2) + "\n");
console.log(`\nsaved ${file} (${((performance.now() - started) / 1000).toFixed(0)} s in all)`);
process.exit(errors.length ? 1 : 0);
