/**
 * The five fuzzed surfaces of issue 17, each as one seeded check that the
 * suite runs a share of and `bun bench/fuzz.ts` runs in full: the admin
 * API, the payload validator (every enqueue ends in LocalOperations), the
 * CLI's argument parsing, the config loader and cron expressions. A check
 * throws FuzzFailure, naming the input, when the input got anything but a
 * clean answer: a 5xx or an unexpected error, an exit code other than 0, 2
 * or 3, raw control bytes on a terminal, a hang, or a refused input that
 * changed the store.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QworkerError } from "../../src/core/errors.ts";
import { cronProblem } from "../../src/cron/expr.ts";
import { planSlots } from "../../src/cron/slots.ts";
import { loadConfig } from "../../src/config/loader.ts";
import { JOB_STATES } from "../../src/core/types.ts";
import { JOB_FILES, startHarness, type Harness } from "../admin/harness.ts";
import { rawRequest } from "../helpers/raw-http.ts";
import { fetchWithin } from "../helpers/wait.ts";
import { runCliInProcess } from "./cli-runner.ts";
import { fuzzArgv } from "./cli-inputs.ts";
import { fuzzConfigText } from "./config-inputs.ts";
import { fuzzCron } from "./cron-inputs.ts";
import { fuzzRequest } from "./http-inputs.ts";
import { fuzzEnqueueRequest } from "./payload-inputs.ts";
import type { Rng } from "./random.ts";

export class FuzzFailure extends Error {}

export interface Surface<C> {
  name: string;
  setup(): Promise<C>;
  one(rng: Rng, ctx: C, index: number): Promise<void>;
  /** After the run: the target still answers. */
  finish(ctx: C): Promise<void>;
}

/** Control bytes a terminal acts on; output must carry none (job text goes through core/inert.ts). */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f\u0080-\u009f]/;

const show = (v: unknown) => {
  try {
    return JSON.stringify(v)?.slice(0, 200) ?? String(v);
  } catch {
    return String(v).slice(0, 200);
  }
};

async function deadline<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new FuzzFailure(`${what}: no answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

async function jobTotal(h: Harness): Promise<number> {
  return (await h.store.counts([])).reduce((n, c) => n + JOB_STATES.reduce((m, s) => m + c[s], 0), 0);
}

// ---- the admin API --------------------------------------------------------

const ADMIN_TOKEN = "fuzz-token-0123456789abcdef";
const HTTP_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"]);

export const adminSurface: Surface<{ h: Harness; jobId: string }> = {
  name: "admin API",
  async setup() {
    const h = await startHarness({ token: ADMIN_TOKEN });
    const [{ id }] = await h.store.enqueue({ jobs: [{ name: "noop", queue: "critical", data: {}, maxAttempts: 3 }], now: Date.now() });
    return { h, jobId: id };
  },
  async one(rng, { h, jobId }, i) {
    const { req, mayPass } = fuzzRequest(rng, { port: h.server.port, token: ADMIN_TOKEN, jobId });
    const before = JSON.stringify([(await h.store.listJobs({ limit: 1000 })).jobs.map((j) => [j.id, j.state, j.data]), await h.store.counts(["critical", "default", "low"])]);
    const res = await deadline(`#${i} ${req.method} ${req.target.slice(0, 60)}`, 10_000, rawRequest(h.server.port, req));
    const where = `#${i}: ${req.method} ${req.target.slice(0, 80)} → ${res.status}`;
    // Bun's HTTP parser closes the connection without a reply on a method that is not a known token ("GETT", "post").
    if ((res.status === 0 && HTTP_METHODS.has(req.method ?? "GET")) || res.status >= 500) throw new FuzzFailure(`${where}: ${res.body.slice(0, 300)}`);
    if (res.status >= 200 && res.status < 300 && !mayPass) throw new FuzzFailure(`${where}: a 2xx for a request that should not pass`);
    if (res.status < 200 || res.status >= 300) {
      const after = JSON.stringify([(await h.store.listJobs({ limit: 1000 })).jobs.map((j) => [j.id, j.state, j.data]), await h.store.counts(["critical", "default", "low"])]);
      if (after !== before) throw new FuzzFailure(`${where}: a refused request changed the store`);
    }
    if (!(await h.store.getJob(jobId))) await h.store.enqueue({ jobs: [{ id: jobId, name: "noop", queue: "critical", data: {}, maxAttempts: 3 }], now: Date.now() });
  },
  async finish({ h }) {
    const status = (await fetchWithin(h.url + "/health")).status;
    await h.close();
    if (status !== 200) throw new FuzzFailure(`/health answered ${status} after the run`);
  },
};

// ---- the payload validator -------------------------------------------------

export const payloadSurface: Surface<Harness> = {
  name: "payload validator",
  setup: () => startHarness(),
  async one(rng, h, i) {
    const req = fuzzEnqueueRequest(rng);
    const before = await jobTotal(h);
    try {
      const [result] = await deadline(`#${i} ${show(req)}`, 5_000, h.ops.enqueue([req]));
      const stored = await h.store.getJob(result.id);
      if (!stored) throw new FuzzFailure(`#${i} ${show(req)}: accepted as ${result.id}, but the store has no such job`);
      // What was stored passes its own job's schema again: no half-validated payload is kept.
      await h.ops.enqueue([{ name: stored.name, data: stored.data }]).catch((err: Error) => {
        throw new FuzzFailure(`#${i} ${show(req)}: stored as ${show(stored.data)}, which its schema then refuses: ${err.message}`);
      });
    } catch (err) {
      if (err instanceof FuzzFailure) throw err;
      if (!(err instanceof QworkerError) || err.status < 400 || err.status >= 500 || err.exitCode !== 2) {
        throw new FuzzFailure(`#${i} ${show(req)}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)} (wanted a 4xx / exit 2 refusal)`);
      }
      if ((await jobTotal(h)) !== before) throw new FuzzFailure(`#${i} ${show(req)}: refused, yet the store changed`);
    }
    // Keep the store small, so each check stays cheap.
    if ((await jobTotal(h)) > 500) for (const j of (await h.store.listJobs({ limit: 1000 })).jobs) await h.store.removeJob(j.id).catch(() => {});
  },
  async finish(h) {
    await h.close();
  },
};

// ---- the CLI ----------------------------------------------------------------

interface CliProject {
  dir: string;
  base: string[];
  cwd: string;
}

export const cliSurface: Surface<CliProject> = {
  name: "CLI arguments",
  async setup() {
    const dir = mkdtempSync(join(tmpdir(), "qw-fuzz-cli-"));
    mkdirSync(join(dir, "jobs"));
    for (const [file, text] of Object.entries(JOB_FILES)) writeFileSync(join(dir, "jobs", file), text);
    writeFileSync(join(dir, "qworker.json"), JSON.stringify({ schedules: [{ job: "noop", cron: "0 * * * *" }] }));
    // No fuzzed command may reach a real server: Redis and PostgreSQL point at a closed port.
    process.env.QWORKER_REDIS_URL = "redis://127.0.0.1:1";
    process.env.QWORKER_POSTGRES_URL = "postgres://127.0.0.1:1/none";
    // A fuzzed relative path (`--db redis`, `--data-file [1]`) is resolved against the working
    // directory: run in the throwaway folder so nothing lands in the checkout.
    const cwd = process.cwd();
    process.chdir(dir);
    return { dir, cwd, base: ["--config", join(dir, "qworker.json"), "--jobs", join(dir, "jobs")] };
  },
  async one(rng, { dir, base }, i) {
    const argv = fuzzArgv(rng);
    const args = [...argv, ...base, ...(argv.some((a) => a.startsWith("--db")) ? [] : ["--db", join(dir, "data", "qworker.db")])];
    const run = await deadline(`#${i} qworker ${show(argv)}`, 20_000, runCliInProcess(args));
    const where = `#${i} qworker ${show(argv)} → exit ${run.code}`;
    if (run.unexpected) throw new FuzzFailure(`${where}: unexpected error: ${run.unexpected.slice(0, 400)}`);
    if (![0, 2, 3].includes(run.code)) throw new FuzzFailure(`${where}: ${run.output.slice(0, 300)}`);
    if (RAW_CONTROL.test(run.output)) throw new FuzzFailure(`${where}: raw control bytes on the terminal: ${show(run.output.slice(0, 200))}`);
  },
  async finish({ dir, cwd }) {
    process.chdir(cwd);
    delete process.env.QWORKER_REDIS_URL;
    delete process.env.QWORKER_POSTGRES_URL;
    rmSync(dir, { recursive: true, force: true });
  },
};

// ---- the config loader ------------------------------------------------------

export const configSurface: Surface<{ dir: string }> = {
  name: "config loader",
  setup: async () => ({ dir: mkdtempSync(join(tmpdir(), "qw-fuzz-config-")) }),
  async one(rng, { dir }, i) {
    const text = fuzzConfigText(rng);
    const file = join(dir, "qworker.json");
    writeFileSync(file, text);
    try {
      loadConfig({ flags: { config: file }, env: {}, cwd: dir });
    } catch (err) {
      if (!(err instanceof QworkerError) || err.exitCode !== 2) {
        throw new FuzzFailure(`#${i} ${show(text.slice(0, 300))}: ${err instanceof Error ? `${err.name}: ${err.message.slice(0, 300)}` : String(err)} (wanted a ConfigError, exit 2)`);
      }
    }
  },
  async finish({ dir }) {
    rmSync(dir, { recursive: true, force: true });
  },
};

// ---- cron expressions --------------------------------------------------------

const DAY = 86_400_000;

export const cronSurface: Surface<{ now: number }> = {
  name: "cron expressions",
  setup: async () => ({ now: Date.UTC(2026, 2, 29, 0, 30) }),
  async one(rng, { now }, i) {
    const spec = fuzzCron(rng);
    const where = `#${i} cron ${show(spec)}`;
    let problem: string | undefined;
    try {
      problem = cronProblem(spec);
    } catch (err) {
      throw new FuzzFailure(`${where}: the check threw ${(err as Error).message}`);
    }
    if (problem !== undefined) return;
    // Accepted: the scheduler must be able to plan it, quickly, with sane slots.
    const t0 = performance.now();
    let plan;
    try {
      plan = planSlots({ spec, after: now - rng.int(3) * DAY - 1, now, catchUpMs: rng.pick([0, 3_600_000, DAY]) });
    } catch (err) {
      throw new FuzzFailure(`${where}: accepted, then planning threw ${(err as Error).message}`);
    }
    if (performance.now() - t0 > 2_000) throw new FuzzFailure(`${where}: planning took ${Math.round(performance.now() - t0)} ms`);
    const sorted = plan.due.every((s, k) => k === 0 || plan.due[k - 1] < s);
    if (!sorted || plan.due.some((s) => s > now) || (plan.next !== undefined && plan.next <= now)) throw new FuzzFailure(`${where}: a bad plan ${show(plan)}`);
  },
  async finish() {},
};

export const SURFACES = [adminSurface, payloadSurface, cliSurface, configSurface, cronSurface] as Surface<unknown>[];

/** Runs `count` inputs of one surface from `seed`; returns how many ran. Throws the first FuzzFailure. */
export async function fuzz(surface: Surface<unknown>, seed: number, count: number, rngOf: (seed: number) => Rng): Promise<number> {
  const ctx = await surface.setup();
  const rng = rngOf(seed);
  try {
    for (let i = 0; i < count; i++) await surface.one(rng, ctx, i);
  } finally {
    await surface.finish(ctx);
  }
  return count;
}
