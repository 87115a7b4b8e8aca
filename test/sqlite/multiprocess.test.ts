/**
 * The SQLite store across real processes: several workers on one file never
 * complete a job twice, and an acknowledged enqueue survives SIGKILL (WAL +
 * synchronous=NORMAL: the commit is in the OS page cache before enqueue
 * resolves). Children are Bun processes running test/sqlite/fixtures/*.
 */

import { afterEach, beforeEach, expect, test } from "bun:test";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { systemClock } from "../../src/core/clock.ts";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { waitFor, within } from "../helpers/wait.ts";

const FIXTURES = join(import.meta.dir, "fixtures");

let dir: string;
let dbPath: string;
let children: Subprocess[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "qworker-sqlite-mp-"));
  dbPath = join(dir, "qworker.db");
  children = [];
});

afterEach(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await within(Promise.all(children.map((c) => c.exited)), 10_000, "the killed children to exit");
  await rm(dir, { recursive: true, force: true });
});

/** Collects a child's stdout as complete lines (a line cut short by a kill is left out). */
function lines(stream: ReadableStream<Uint8Array>): { lines: string[]; ended: Promise<void> } {
  const out = { lines: [] as string[], ended: Promise.resolve() };
  out.ended = (async () => {
    const decoder = new TextDecoder();
    let partial = "";
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      partial += decoder.decode(value, { stream: true });
      const parts = partial.split("\n");
      partial = parts.pop()!;
      out.lines.push(...parts);
    }
  })();
  return out;
}

function spawnChild(script: string, args: string[]) {
  const child = Bun.spawn([process.execPath, join(FIXTURES, script), ...args], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
  children.push(child);
  return { child, stdout: lines(child.stdout) };
}

test("two processes drain 5,000 jobs: every job completed exactly once", async () => {
  const store = new SqliteStore({ path: dbPath, clock: systemClock });
  await store.open();
  const specs = Array.from({ length: 5_000 }, (_, i) => ({ name: "mp", queue: "default", data: { i }, maxAttempts: 1 }));
  const enqueued = (await store.enqueue({ jobs: specs, now: Date.now() })).map((r) => r.id);

  const outs = [join(dir, "w1.txt"), join(dir, "w2.txt")];
  const workers = outs.map((out, i) => spawnChild("drain-worker.ts", [dbPath, out, `w${i + 1}`]));
  await waitFor(() => workers.every((w) => w.stdout.lines.includes("ready")), { timeoutMs: 15_000, what: "both workers to open the store" });
  // Start both at once so they really contend for the same rows.
  for (const { child } of workers) {
    child.stdin.write("go\n");
    child.stdin.flush();
  }
  const codes = await within(Promise.all(workers.map((w) => w.child.exited)), 25_000, "both workers draining the queue");
  expect(codes).toEqual([0, 0]);

  const perWorker = await Promise.all(outs.map(async (f) => (await readFile(f, "utf8").catch(() => "")).split("\n").filter(Boolean)));
  const all = perWorker.flat();
  const seen = new Map<string, number>();
  for (const id of all) seen.set(id, (seen.get(id) ?? 0) + 1);
  expect([...seen.values()].filter((n) => n !== 1)).toEqual([]);
  expect(all.length).toBe(5_000);
  expect(new Set(all)).toEqual(new Set(enqueued));
  // Both took part: with the "go" barrier and a little work per batch, a one-sided drain means one process locked the other out.
  expect(perWorker[0].length).toBeGreaterThan(0);
  expect(perWorker[1].length).toBeGreaterThan(0);

  const counts = (await store.counts(["default"]))[0];
  expect(counts).toMatchObject({ completed: 5_000, waiting: 0, active: 0 });
  await store.close();
}, 30_000);

test("an acknowledged enqueue survives SIGKILL of the enqueuing process", async () => {
  const { child, stdout } = spawnChild("enqueue-loop.ts", [dbPath, "50000"]);
  await waitFor(() => stdout.lines.length >= 300, { timeoutMs: 20_000, what: "the child to acknowledge 300 enqueues" });
  child.kill("SIGKILL");
  await within(child.exited, 10_000, "the killed child to exit");
  await within(stdout.ended, 5_000, "the killed child's stdout to close");
  expect(child.signalCode).toBe("SIGKILL");
  const printed = stdout.lines.filter(Boolean);
  expect(printed.length).toBeGreaterThanOrEqual(300);
  expect(printed.length).toBeLessThan(50_000); // killed mid-way, not after finishing

  const store = new SqliteStore({ path: dbPath, clock: systemClock });
  await store.open();
  const missing: string[] = [];
  for (const id of printed) if (!(await store.getJob(id))) missing.push(id);
  expect(missing).toEqual([]);
  await store.close();
}, 30_000);

test("a job enqueued by another process starts within 1 s (p99) on an idle-polling worker (generous; bench/ holds the 250 ms target)", async () => {
  const store = new SqliteStore({ path: dbPath, clock: systemClock });
  await store.open();
  const total = 120;
  const { child } = spawnChild("paced-enqueuer.ts", [dbPath, String(total), "25"]);
  const latencies: number[] = [];
  const ctl = new AbortController();
  const consume = (async () => {
    while (latencies.length < total) {
      await store.waitForWork({ queues: ["default"], signal: ctl.signal, maxWaitMs: 1_000 });
      const jobs = await store.reserve({ queues: ["default"], workerId: "parent", max: 10, leaseMs: 30_000, now: Date.now() });
      for (const j of jobs) latencies.push(j.startedAt! - j.createdAt);
      if (jobs.length) await store.complete({ workerId: "parent", jobs: jobs.map((j) => ({ id: j.id, token: j.lease.token })), now: Date.now() });
    }
  })();
  await within(consume, 25_000, `consuming ${total} paced jobs`);
  expect(await within(child.exited, 5_000, "the producer to exit")).toBe(0);
  latencies.sort((a, b) => a - b);
  const p99 = latencies[Math.ceil(latencies.length * 0.99) - 1];
  console.log(`cross-process enqueue-to-start: p50 ${latencies[Math.floor(latencies.length / 2)]} ms, p99 ${p99} ms, max ${latencies.at(-1)} ms`);
  // The 250 ms target is measured by bench/; here a bound that only a broken wake-up (1 s waits) would cross.
  expect(p99).toBeLessThan(1_000);
  await store.close();
}, 30_000);
