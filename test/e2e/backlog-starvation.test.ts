/**
 * A backlog of jobs that never wait for I/O used to starve the worker's own
 * event loop: SIGTERM was seen seconds late while 89,200 more jobs started,
 * /health took 2.4 s, and a kill -9 left 20,160 jobs run but unrecorded.
 * Here 20,000 such jobs at the default concurrency of 10, on SQLite and on
 * the memory store: /health keeps answering, SIGTERM stops the claiming at
 * once, and a kill -9 leaves at most concurrency plus one batch run but
 * unrecorded (counted by the jobs themselves).
 */

import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeProject, qw, startServer, type Project, type Server } from "../helpers/qworker-binary.ts";
import { readStamps } from "../helpers/stamps.ts";
import { waitFor, within } from "../helpers/wait.ts";

const JOBS = 20_000;
const CONCURRENCY = 10;

let project: Project | undefined;
let server: Server | undefined;
afterEach(async () => {
  server?.kill("SIGKILL");
  await server?.exited;
  project?.cleanup();
  project = server = undefined;
});

function setUp(): Project {
  const p = makeProject("qw-backlog-");
  mkdirSync(join(p.dir, "config"), { recursive: true });
  // Keep every completed job, so the store's count is the recorded runs; the backlog is one --jsonl file, past the default bulk limit.
  writeFileSync(join(p.dir, "config/qworker.json"), JSON.stringify({ retention: { completedMaxCount: 1_000_000 } }));
  writeFileSync(join(p.dir, "backlog.jsonl"), Array.from({ length: JOBS }, () => "{}").join("\n"));
  return p;
}

async function completedCount(p: Project, backend: string[] = []): Promise<number> {
  const r = await qw(["status", "--json", ...backend], { cwd: p.dir });
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout).queues as { completed: number }[]).reduce((n, q) => n + q.completed, 0);
}

/** /health answer times while `until` is false, one request at a time; ends when the server is gone. */
async function pollHealth(url: string, until: () => boolean): Promise<number[]> {
  const times: number[] = [];
  while (!until()) {
    const t0 = performance.now();
    try {
      const res = await fetch(`${url}/health`);
      await res.text();
    } catch {
      break; // the server has exited (after the signal): nothing more to time
    }
    times.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 20));
  }
  return times;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

describe("e2e: a backlog of 20,000 jobs that never wait for I/O, concurrency 10", () => {
  test("sqlite: /health answers while it drains (median < 200 ms, every answer < 2 s, generous for a shared machine); SIGTERM mid-drain starts at most one more batch", async () => {
    project = setUp();
    const p = project;
    expect((await qw(["enqueue", "stamp", "--jsonl", "backlog.jsonl"], { cwd: p.dir })).code).toBe(0);
    server = startServer(["--admin-port", "0", "--concurrency", String(CONCURRENCY)], { cwd: p.dir, env: { QW_TEST_OUT: p.out } });
    const url = await server.adminUrl();
    let stop = false;
    const health = pollHealth(url, () => stop);
    await waitFor(() => readStamps(p.out).length >= 4_000, { timeoutMs: 60_000, intervalMs: 10, what: "4,000 jobs to run" });
    const signalledAt = Date.now();
    server.kill("SIGTERM");
    const code = await within(server.exited, 30_000, "the drain to stop after SIGTERM");
    expect(code).toBe(0);
    stop = true;
    const times = await health;
    const stamps = readStamps(p.out);
    // Jobs claimed in the round under way when the signal came may still start; nothing after that.
    const startedAfter = stamps.filter((s) => s.at > signalledAt).length;
    expect(startedAfter).toBeLessThanOrEqual(CONCURRENCY * 2);
    expect(stamps.length).toBeLessThan(JOBS);
    expect(times.length).toBeGreaterThan(0);
    expect(median(times)).toBeLessThan(200);
    expect(Math.max(...times)).toBeLessThan(2_000);
    await server.waitForLine(/SIGTERM received/);
    // Every job that ran was recorded (a graceful stop writes its outcomes), and nothing ran twice.
    expect(new Set(stamps.map((s) => s.id)).size).toBe(stamps.length);
    expect(await completedCount(p)).toBe(stamps.length);
  }, 120_000);

  test("sqlite: kill -9 mid-drain leaves at most concurrency + one batch (20) run but unrecorded", async () => {
    project = setUp();
    const p = project;
    expect((await qw(["enqueue", "stamp", "--jsonl", "backlog.jsonl"], { cwd: p.dir })).code).toBe(0);
    server = startServer(["--admin-port", "0", "--concurrency", String(CONCURRENCY)], { cwd: p.dir, env: { QW_TEST_OUT: p.out } });
    await server.adminUrl();
    await waitFor(() => readStamps(p.out).length >= 4_000, { timeoutMs: 60_000, intervalMs: 10, what: "4,000 jobs to run" });
    server.kill("SIGKILL");
    await within(server.exited, 10_000, "the killed server to exit");
    const ran = new Set(readStamps(p.out).map((s) => s.id)).size;
    const recorded = await completedCount(p);
    expect(ran - recorded).toBeGreaterThanOrEqual(0);
    expect(ran - recorded).toBeLessThanOrEqual(CONCURRENCY * 2);
  }, 120_000);

  test("memory: /health answers while it drains (median < 200 ms, every answer < 2 s); SIGTERM mid-drain starts at most one more batch", async () => {
    project = setUp();
    const p = project;
    server = startServer(["--admin-port", "0", "--backend", "memory", "--concurrency", String(CONCURRENCY)], { cwd: p.dir, env: { QW_TEST_OUT: p.out } });
    const url = await server.adminUrl();
    const port = new URL(url).port;
    // The memory store lives in the server: the CLI enqueues through its admin API.
    const enq = await qw(["enqueue", "stamp", "--jsonl", "backlog.jsonl", "--backend", "memory", "--admin-port", port], { cwd: p.dir });
    expect(enq.code).toBe(0);
    let stop = false;
    const health = pollHealth(url, () => stop);
    await waitFor(() => readStamps(p.out).length >= 4_000, { timeoutMs: 60_000, intervalMs: 10, what: "4,000 jobs to run" });
    const signalledAt = Date.now();
    server.kill("SIGTERM");
    expect(await within(server.exited, 30_000, "the drain to stop after SIGTERM")).toBe(0);
    stop = true;
    const times = await health;
    const stamps = readStamps(p.out);
    expect(stamps.filter((s) => s.at > signalledAt).length).toBeLessThanOrEqual(CONCURRENCY * 2);
    expect(stamps.length).toBeLessThan(JOBS);
    expect(median(times)).toBeLessThan(200);
    expect(Math.max(...times)).toBeLessThan(2_000);
  }, 120_000);
});
