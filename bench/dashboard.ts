/**
 * `bun bench/dashboard.ts`: how fast the dashboard paints with a big SQLite
 * store, and how the API calls behind it scale. It fills a fresh SQLite
 * file with --jobs jobs (default 100,000: mostly completed, some failed,
 * delayed and waiting, over three queues), starts the built binary with
 * `--role api` (nothing consumes the jobs), and opens the dashboard in
 * headless Chromium --rounds times, each in a fresh tab with the token
 * already in sessionStorage. Per round:
 *
 * - first contentful paint (the browser's own `first-contentful-paint`);
 * - data painted: from navigation start until the queue table shows the
 *   store's counts (overview) or the first page of jobs (jobs view), taken
 *   inside the page by a MutationObserver.
 *
 * Then it times the API calls of the jobs view: the first page, ten pages
 * deep by cursor, a state filter, a name filter, a lookup by id, and the
 * status read (counts), each the median of 5 calls. Goal: data painted
 * within 1 s with 100,000 jobs.
 *
 *   bun bench/dashboard.ts [--jobs 100000] [--rounds 5] [--keep]
 */

import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { spawn } from "bun";
import { chromium } from "playwright-core";
import { systemClock } from "../src/core/clock.ts";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.ts";
import { CHROMIUM_ARGS } from "../test/helpers/browser.ts";
import { ensureBinary, freePort } from "../test/helpers/qworker-binary.ts";

const { values: args } = parseArgs({
  args: Bun.argv.slice(2),
  options: { jobs: { type: "string", default: "100000" }, rounds: { type: "string", default: "5" }, keep: { type: "boolean", default: false } },
  strict: true,
});
const JOBS = Number(args.jobs);
const ROUNDS = Number(args.rounds);
if (!(JOBS >= 1 && ROUNDS >= 1)) throw new Error("--jobs and --rounds must be positive numbers");

const TOKEN = "bench-token-0123456789abcdef";
const dir = mkdtempSync(join(tmpdir(), "qw-bench-dashboard-"));
mkdirSync(join(dir, "jobs"));
writeFileSync(join(dir, "jobs", "report.ts"), `import { defineJob, z } from "qworker";\nexport default defineJob({ schema: z.object({ n: z.number() }), async run() {} });\n`);
const db = join(dir, "qworker.db");

console.log(`filling ${db} with ${JOBS.toLocaleString("en")} jobs …`);
const fillStart = performance.now();
await fill(db, JOBS);
console.log(`  filled in ${((performance.now() - fillStart) / 1000).toFixed(1)} s`);

const binary = ensureBinary();
const port = freePort();
const proc = spawn([binary, "run", "--role", "api", "--db", db, "--jobs", join(dir, "jobs"), "--admin-port", String(port)], {
  cwd: dir,
  env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, QWORKER_ADMIN_TOKEN: TOKEN, QWORKER_LOG_LEVEL: "warn" },
  stdout: "ignore",
  stderr: "inherit",
});
const url = `http://127.0.0.1:${port}`;
await waitForHealth(url);

const browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "qw-bench-chromium-")), { executablePath: "/usr/bin/chromium", headless: true, args: CHROMIUM_ARGS });
await browser.addInitScript((t) => {
  sessionStorage.setItem("qworker.token", t);
  // Records when the selector the view waits for first shows data, in the page's own clock.
  const w = window as unknown as { __painted?: number };
  const watch = () => {
    if (w.__painted === undefined && document.querySelector("#queues tr[data-queue] td.num, #jobs tr[data-id]")) w.__painted = performance.now();
  };
  new MutationObserver(watch).observe(document, { childList: true, subtree: true });
}, TOKEN);

const results: { view: string; fcp: number; painted: number }[] = [];
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const view of ["#/", "#/jobs"]) {
      const page = await browser.newPage();
      await page.goto(`${url}/${view}`);
      await page.waitForFunction(() => (window as unknown as { __painted?: number }).__painted !== undefined, null, { timeout: 30_000 });
      // The browser may report the paint entry after the data is painted: wait for it (3 s at most).
      const m = await page.evaluate(async () => ({
        fcp: await new Promise<number>((resolve) => {
          const seen = () => performance.getEntriesByName("first-contentful-paint")[0]?.startTime;
          if (seen() !== undefined) return resolve(seen()!);
          new PerformanceObserver(() => seen() !== undefined && resolve(seen()!)).observe({ type: "paint", buffered: true });
          setTimeout(() => resolve(Number.NaN), 3_000);
        }),
        painted: (window as unknown as { __painted: number }).__painted,
      }));
      results.push({ view, ...m });
      await page.close();
    }
  }
  console.log(`\ndashboard with ${JOBS.toLocaleString("en")} jobs in SQLite, ${ROUNDS} rounds, fresh tab each (ms from navigation start):`);
  for (const view of ["#/", "#/jobs"]) {
    const rows = results.filter((r) => r.view === view);
    const fcps = rows.map((r) => r.fcp).filter((t) => !Number.isNaN(t));
    const unreported = rows.length - fcps.length;
    console.log(
      `  ${view === "#/" ? "overview" : "jobs    "}  first contentful paint: median ${fmt(median(fcps))}, max ${fmt(Math.max(...fcps))}${unreported ? ` (not reported in ${unreported} of ${rows.length} rounds)` : ""}` +
        `  ·  data painted: median ${fmt(median(rows.map((r) => r.painted)))}, max ${fmt(Math.max(...rows.map((r) => r.painted)))}`,
    );
  }
  await apiTimings(url);
} finally {
  await browser.close();
  proc.kill("SIGTERM");
  await proc.exited;
  if (!args.keep) rmSync(dir, { recursive: true, force: true });
}

/** Jobs over three queues: 80% completed, 10% failed, 5% delayed, 5% waiting, created a millisecond apart. */
async function fill(path: string, n: number): Promise<void> {
  const store = new SqliteStore({ path, clock: systemClock });
  await store.open();
  const queues = ["critical", "default", "low"];
  const start = Date.now() - n;
  const batch = 5_000;
  for (let i = 0; i < n; i += batch) {
    const count = Math.min(batch, n - i);
    const now = start + i;
    const jobs = Array.from({ length: count }, (_, k) => ({ name: "report", queue: queues[(i + k) % 3], data: { n: i + k }, maxAttempts: 1, runAt: (i + k) % 20 === 1 ? now + 86_400_000 : undefined }));
    await store.enqueue({ jobs, now });
  }
  // Settle most of them as a worker would: 80% completed, 10% failed; the rest stay delayed or waiting.
  const settle = Math.floor(n * 0.9);
  for (let done = 0; done < settle; ) {
    const got = await store.reserve({ queues, workerId: "bench", max: Math.min(1_000, settle - done), leaseMs: 60_000, now: Date.now() });
    if (got.length === 0) break;
    const fail = got.filter((_, k) => (done + k) % 9 === 0);
    const ok = got.filter((_, k) => (done + k) % 9 !== 0);
    await store.complete({ workerId: "bench", jobs: ok.map((j) => ({ id: j.id, token: j.lease.token })), now: Date.now() });
    for (const j of fail) await store.fail({ id: j.id, token: j.lease.token, workerId: "bench", error: { attempt: 1, message: "bench failure" }, now: Date.now() });
    done += got.length;
  }
  await store.close();
}

async function apiTimings(base: string): Promise<void> {
  const headers = { authorization: `Bearer ${TOKEN}` };
  const get = async (path: string) => {
    const t = performance.now();
    const res = await fetch(base + path, { headers });
    const body = await res.json();
    if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
    return { ms: performance.now() - t, body };
  };
  const timeIt = async (what: string, path: () => Promise<string>) => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) times.push((await get(await path())).ms);
    console.log(`  ${what.padEnd(44)} median ${fmt(median(times))}`);
  };
  let cursor10 = "";
  let c: string | undefined;
  for (let i = 0; i < 10; i++) c = (await get(`/api/jobs?limit=50${c ? `&cursor=${c}` : ""}`)).body.nextCursor;
  cursor10 = c ?? "";
  const someId = (await get("/api/jobs?limit=1")).body.jobs[0].id;
  console.log("\nAPI calls behind the views (ms, end to end over HTTP):");
  await timeIt("GET /api/jobs (first page of 50)", async () => "/api/jobs?limit=50");
  await timeIt("GET /api/jobs?cursor=… (page 11)", async () => `/api/jobs?limit=50&cursor=${cursor10}`);
  await timeIt("GET /api/jobs?state=failed", async () => "/api/jobs?limit=50&state=failed");
  await timeIt("GET /api/jobs?state=waiting", async () => "/api/jobs?limit=50&state=waiting");
  await timeIt("GET /api/jobs?name=report", async () => "/api/jobs?limit=50&name=report");
  await timeIt("GET /api/jobs/:id", async () => `/api/jobs/${someId}`);
  await timeIt("GET /api/status (counts per queue and state)", async () => "/api/status");
}

async function waitForHealth(base: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(base + "/health")).ok) return;
    } catch {
      // not up yet
    }
    await Bun.sleep(50);
  }
  throw new Error("the server did not answer /health within 30 s");
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function fmt(ms: number): string {
  return `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
}
