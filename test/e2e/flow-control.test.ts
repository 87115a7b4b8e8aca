/**
 * Flow control on real processes (issue 20): two `qworker run` processes of
 * concurrency 20 share one store, on SQLite and on Redis, and the limits
 * hold across them: per-key concurrency, a rate limit, fair groups, a job
 * that calls ctx.rateLimited, and a worker killed while it holds a key's
 * only slot. The jobs (test/fixtures/flow-jobs) record their starts and
 * ends; the assertions read those records. Bounds are generous where time
 * is involved (a shared 2-core machine), and say so.
 */

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeProject, qw, ROOT, startServer, type Project, type Server } from "../helpers/qworker-binary.ts";
import { startRedisServer, type RedisServer } from "../helpers/redis-server.ts";
import { requireTool } from "../helpers/requirements.ts";
import { waitFor, within } from "../helpers/wait.ts";

type Backend = "sqlite" | "redis";
let redis: RedisServer | undefined;
let project: Project | undefined;
let servers: Server[] = [];
let prefixSeq = 0;
const backends: Backend[] = requireTool("redis-server") ? ["sqlite", "redis"] : ["sqlite"];

beforeAll(async () => {
  if (backends.includes("redis")) redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});
afterEach(async () => {
  for (const s of servers) s.kill("SIGKILL");
  await Promise.all(servers.map((s) => s.exited));
  servers = [];
  project?.cleanup();
  project = undefined;
});

function setUp(backend: Backend): { p: Project; env: Record<string, string> } {
  const p = makeProject("qw-flow-");
  rmSync(p.jobs, { recursive: true });
  cpSync(join(ROOT, "test/fixtures/flow-jobs"), p.jobs, { recursive: true });
  mkdirSync(join(p.dir, "config"));
  writeFileSync(
    join(p.dir, "config/qworker.json"),
    JSON.stringify({
      worker: { lease: "1s" },
      scheduler: { rescueInterval: "250ms" },
      retention: { completedMaxCount: 100_000 },
      store: backend === "redis" ? { backend, redisUrl: redis!.url, redisPrefix: `flow${prefixSeq++}` } : { backend },
    }),
  );
  project = p;
  return { p, env: { QW_TEST_OUT: p.out } };
}

/**
 * Two worker processes of concurrency 20, and the scheduler (rescue,
 * promotion) in a process of its own, so killing a worker never kills it.
 * The scheduler starts first and makes the store: three processes creating
 * one new SQLite file at the same instant can find it locked.
 */
async function fleet(p: Project, env: Record<string, string>): Promise<Server[]> {
  const scheduler = startServer(["--role", "scheduler"], { cwd: p.dir, env });
  servers.push(scheduler);
  await scheduler.waitForLine(/qworker ready/);
  const started = [startServer(["--role", "worker", "--concurrency", "20"], { cwd: p.dir, env }), startServer(["--role", "worker", "--concurrency", "20"], { cwd: p.dir, env })];
  servers.push(...started);
  return started;
}

async function enqueue(p: Project, env: Record<string, string>, name: string, payloads: object[]): Promise<string[]> {
  const file = join(p.dir, `batch-${name}-${Date.now()}-${Math.random()}.jsonl`);
  writeFileSync(file, payloads.map((x) => JSON.stringify(x)).join("\n"));
  const r = await qw(["enqueue", name, "--jsonl", file, "--json"], { cwd: p.dir, env });
  if (r.code !== 0) throw new Error(`enqueue ${name} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout).ids;
}

/** Every line the job `kind` recorded, split on spaces, from every process. */
function records(p: Project, kind: string): string[][] {
  if (!existsSync(p.out)) return [];
  return readdirSync(p.out)
    .filter((f) => f.startsWith(`${kind}-`))
    .flatMap((f) => readFileSync(join(p.out, f), "utf8").split("\n").filter(Boolean).map((l) => l.split(" ")));
}

async function waitForRecords(p: Project, kind: string, n: number, timeoutMs: number): Promise<string[][]> {
  await waitFor(() => records(p, kind).length >= n, { what: `${n} runs of ${kind}`, timeoutMs });
  return records(p, kind);
}

/** The most intervals [start, end) open at one instant. */
function peak(spans: [number, number][]): number {
  const events = spans.flatMap(([s, e]): [number, number][] => [[s, 1], [e, -1]]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let most = 0;
  for (const [, d] of events) most = Math.max(most, (open += d));
  return most;
}

for (const backend of backends) {
  describe(`e2e: flow control across two processes on ${backend}`, () => {
    test("per-key concurrency max 3, 5 keys, 300 jobs: never more than 3 of a key at once, the keys together at most 15 at once and at least 10 at some moment", async () => {
      const { p, env } = setUp(backend);
      await enqueue(p, env, "span", Array.from({ length: 300 }, (_, i) => ({ k: `key${i % 5}` })));
      await fleet(p, env);
      const rows = await waitForRecords(p, "span", 300, 60_000);
      for (let k = 0; k < 5; k++) {
        const spans = rows.filter((r) => r[1] === `key${k}`).map((r): [number, number] => [Number(r[2]), Number(r[3])]);
        expect(spans.length).toBe(60);
        expect(peak(spans)).toBeLessThanOrEqual(3);
      }
      const all = peak(rows.map((r): [number, number] => [Number(r[2]), Number(r[3])]));
      expect(all).toBeLessThanOrEqual(15);
      // 40 worker slots, 15 allowed: they are used (>= 10 at a moment, generous for a loaded machine).
      expect(all).toBeGreaterThanOrEqual(10);
    }, 90_000);

    test("rateLimit 50 per second over 500 jobs: no 1 s window holds more than 51 starts as the jobs read them (50 claimed, +1 for where the job reads its clock), and the run takes at least 9 s", async () => {
      const { p, env } = setUp(backend);
      await enqueue(p, env, "paced", Array.from({ length: 500 }, () => ({})));
      await fleet(p, env);
      const starts = (await waitForRecords(p, "paced", 500, 60_000)).map((r) => Number(r[1])).sort((a, b) => a - b);
      let most = 0;
      for (let i = 0, j = 0; i < starts.length; i++) {
        while (starts[i] - starts[j] >= 1_000) j++;
        most = Math.max(most, i - j + 1);
      }
      // Starts are spaced 20 ms apart in the store's claim; a worker's clock reading may trail its claim by a few ms, hence +1.
      expect(most).toBeLessThanOrEqual(51);
      expect(starts.at(-1)! - starts[0]).toBeGreaterThanOrEqual(9_000);
    }, 90_000);

    for (const grouped of [true, false]) {
      test(`fairness ${grouped ? "with group: every tenant B-J job starts before A's 300th after them" : "without group (the control): tenants B-J wait behind A"}`, async () => {
        const { p, env } = setUp(backend);
        const name = grouped ? "fair" : "plain";
        await enqueue(p, env, name, Array.from({ length: 5_000 }, () => ({ t: "A" })));
        await enqueue(p, env, name, "BCDEFGHIJ".split("").flatMap((t) => Array.from({ length: 10 }, () => ({ t }))));
        await fleet(p, env);
        const rows = (await waitForRecords(p, name, 5_090, 120_000)).sort((a, b) => Number(a[2]) - Number(b[2]));
        let lastOther = rows.length - 1;
        while (lastOther > 0 && rows[lastOther][1] === "A") lastOther--;
        const aBefore = rows.slice(0, lastOther).filter((r) => r[1] === "A").length;
        if (grouped) expect(aBefore).toBeLessThan(300);
        else expect(aBefore).toBeGreaterThan(4_000);
      }, 150_000);
    }

    test("ctx.rateLimited on the first try: the try count stays 1, and no job of that key starts during the 1.5 s pause", async () => {
      const { p, env } = setUp(backend);
      const [a, b] = await fleet(p, env);
      await a.waitForLine(/qworker ready/);
      await b.waitForLine(/qworker ready/);
      const [limited] = await enqueue(p, env, "polite", [{ k: "K", limited: true }]);
      const paused = (await waitForRecords(p, "polite", 1, 30_000)).find((r) => r[0] === limited)!;
      const pausedAt = Number(paused[3]);
      await enqueue(p, env, "polite", [{ k: "K" }, { k: "K" }, { k: "other" }]);
      const rows = await waitForRecords(p, "polite", 5, 30_000);
      const runs = rows.filter((r) => r[0] === limited).sort((a, b) => Number(a[3]) - Number(b[3]));
      expect(runs.map((r) => [r[2], r[4]])).toEqual([["1", "paused"], ["1", "ran"]]);
      for (const r of rows.filter((x) => x[1] === "K" && x[4] !== "paused")) expect(Number(r[3])).toBeGreaterThanOrEqual(pausedAt + 1_500);
      const job = JSON.parse((await qw(["jobs", "show", limited, "--json"], { cwd: p.dir, env })).stdout);
      expect(job).toMatchObject({ state: "completed", attemptsMade: 1 });
    }, 60_000);

    test("SIGKILL of the worker holding a key's only slot: the key's next job starts within lease (1 s) + rescue interval (250 ms), asserted under a generous 5 s", async () => {
      const { p, env } = setUp(backend);
      const [a, b] = await fleet(p, env);
      await a.waitForLine(/qworker ready/);
      await b.waitForLine(/qworker ready/);
      await enqueue(p, env, "sole", [{ k: "K", hang: true }]);
      const [first] = await waitForRecords(p, "sole", 1, 30_000);
      const holder = servers.find((s) => s.proc.pid === Number(first[3]))!;
      await enqueue(p, env, "sole", [{ k: "K" }]);
      // The other job of K waits: the slot is held.
      expect(records(p, "sole").length).toBe(1);
      const killedAt = Date.now();
      holder.kill("SIGKILL");
      // The next start of K: the rescued job itself, first in line for the freed slot.
      const rows = await waitForRecords(p, "sole", 2, 30_000);
      const next = rows.find((r) => Number(r[2]) >= killedAt)!;
      expect(Number(next[2]) - killedAt).toBeLessThan(5_000);
    }, 60_000);
  });
}
