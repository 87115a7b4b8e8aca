/**
 * Issue 3 on real processes and a private redis-server: several `qworker
 * run` processes share one Redis with no job run twice, a SIGKILLed worker
 * loses nothing, Redis restarts need no operator, a poison job ends failed
 * instead of crash-looping the fleet, and enqueue fails fast when Redis is
 * down.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeProject, qw, startServer, type Project, type Server } from "../helpers/qworker-binary.ts";
import { startRedisServer, type RedisServer } from "../helpers/redis-server.ts";
import { describeNeeding } from "../helpers/requirements.ts";
import { runsById, totalRuns } from "../helpers/run-log.ts";
import { fetchWithin, waitFor, within } from "../helpers/wait.ts";

let redis: RedisServer;
let project: Project;
let prefixSeq = 0;

/** Each test gets its own key prefix on the shared private server, so tests cannot see each other's jobs. */
function env(extra: Record<string, string> = {}): Record<string, string> {
  return { QWORKER_BACKEND: "redis", QWORKER_REDIS_URL: redis.url, QW_TEST_OUT: project.out, ...extra };
}

function writeConfig(prefix: string): void {
  mkdirSync(join(project.dir, "config"), { recursive: true });
  writeFileSync(
    join(project.dir, "config/qworker.json"),
    JSON.stringify({
      store: { redisPrefix: prefix },
      worker: { lease: "1s" },
      scheduler: { rescueInterval: "250ms", leaderTtl: "2s", leaderRenew: "500ms" },
      retention: { completedMaxCount: 100_000 },
    }),
  );
}

async function enqueueRecords(n: number, payload: object = {}): Promise<string[]> {
  const file = join(project.dir, `batch-${Date.now()}.jsonl`);
  writeFileSync(file, Array.from({ length: n }, (_, i) => JSON.stringify({ n: i, ...payload })).join("\n"));
  const r = await qw(["enqueue", "record", "--jsonl", file, "--json"], { cwd: project.dir, env: env() });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout).ids;
}

async function counts(): Promise<Record<string, number>> {
  const r = await qw(["status", "--json"], { cwd: project.dir, env: env() });
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout).queues.find((q: { queue: string }) => q.queue === "default");
}

describeNeeding("redis-server")("e2e: a fleet on one Redis", () => {
  beforeAll(async () => {
    redis = await startRedisServer({ appendOnly: true });
  });
  afterAll(async () => {
    await redis?.stop();
  });

  for (const processes of [2, 4]) {
    test(`${processes} processes drain 20,000 jobs; every id runs exactly once`, async () => {
      project = makeProject();
      writeConfig(`drain${processes}-${prefixSeq++}`);
      try {
        const ids = await enqueueRecords(20_000);
        const fleet = Array.from({ length: processes }, () => startServer(["--role", "worker", "--burst", "--concurrency", "50"], { cwd: project.dir, env: env() }));
        for (const p of fleet) expect(await within(p.exited, 120_000, "a burst worker")).toBe(0);
        const runs = runsById(project.out);
        expect(runs.size).toBe(20_000);
        for (const id of ids) expect(runs.get(id)).toBe(1);
        expect(await counts()).toMatchObject({ completed: 20_000, waiting: 0, active: 0 });
      } finally {
        project.cleanup();
      }
    }, 180_000);
  }

  test("SIGKILL one of two workers with 200 jobs active: its 100 are rescued, every job completes once, all within 15 s of the kill (generous: lease 1 s + rescue 250 ms + the 3 s job)", async () => {
    project = makeProject();
    writeConfig(`kill-${prefixSeq++}`);
    const fleet: Server[] = [];
    try {
      const ids = await enqueueRecords(200, { sleepMs: 3_000 });
      fleet.push(startServer(["--role", "worker", "--concurrency", "100"], { cwd: project.dir, env: env() }));
      fleet.push(startServer(["--concurrency", "100", "--admin-port", "0"], { cwd: project.dir, env: env() })); // role all: also the scheduler (rescuer)
      await waitFor(async () => (await counts()).active === 200, { what: "200 active jobs" });
      fleet[0].kill("SIGKILL");
      const killedAt = Date.now();
      await within(fleet[0].exited, 10_000, "the killed worker to exit");
      await waitFor(async () => (await counts()).completed === 200, { timeoutMs: 60_000, what: "all 200 to complete" });
      // Lease 1 s + rescue every 250 ms + the 3 s job itself = 4.25 s; the rest is room for a loaded machine.
      expect(Date.now() - killedAt).toBeLessThan(15_000);
      const runs = runsById(project.out);
      for (const id of ids) expect(runs.get(id)).toBe(1);
      const rescued = JSON.parse((await qw(["jobs", "list", "--state", "completed", "--limit", "1000", "--json"], { cwd: project.dir, env: env() })).stdout).jobs.filter((j: { stalls: number }) => j.stalls === 1);
      expect(rescued.length).toBe(100);
    } finally {
      for (const p of fleet) p.kill("SIGKILL");
      project.cleanup();
    }
  }, 120_000);

  test("Redis restarts while idle and while busy: work resumes on its own and nothing acknowledged is lost", async () => {
    project = makeProject();
    writeConfig(`restart-${prefixSeq++}`);
    const server = startServer(["--concurrency", "20", "--admin-port", "0"], { cwd: project.dir, env: env() });
    try {
      const url = await server.adminUrl();
      // Idle: restart, then new work must still be picked up.
      await redis.halt();
      await waitFor(async () => (await fetchWithin(`${url}/health`)).status === 503, { what: "/health to report 503" });
      await redis.start();
      await waitFor(async () => (await fetchWithin(`${url}/health`)).status === 200, { what: "/health to recover" });
      const idleIds = await enqueueRecords(20);
      await waitFor(() => idleIds.every((id) => runsById(project.out).has(id)), { timeoutMs: 30_000, what: "jobs after an idle restart" });

      // Busy: restart in the middle of a drain.
      const busyIds = await enqueueRecords(1_000, { sleepMs: 5 });
      await waitFor(() => totalRuns(project.out) >= 200, { what: "the drain to be under way" });
      await redis.restart();
      const afterIds = await enqueueRecords(100);
      await waitFor(async () => (await counts()).completed === 20 + 1_000 + 100, { timeoutMs: 90_000, what: "every job to complete" });
      const runs = runsById(project.out);
      for (const id of [...idleIds, ...busyIds, ...afterIds]) expect(runs.get(id) ?? 0).toBeGreaterThanOrEqual(1);
      expect(server.log()).not.toContain("worker pool stopped on an error");
    } finally {
      server.kill("SIGKILL");
      project.cleanup();
    }
  }, 180_000);

  test("a job that kills its process ends failed as stalled and the restarted worker carries on", async () => {
    project = makeProject();
    writeConfig(`poison-${prefixSeq++}`);
    const [poison] = (await qw(["enqueue", "exit-process", "--json"], { cwd: project.dir, env: env() })).stdout.match(/"id": "([^"]+)"/)!.slice(1);
    // Like systemd's Restart=always: start the worker again whenever it dies, and count the deaths.
    let deaths = 0;
    let current = startServer(["--concurrency", "5", "--admin-port", "0"], { cwd: project.dir, env: env() });
    let stopped = false;
    const supervise = (async () => {
      while (!stopped) {
        const code = await current.exited;
        if (stopped) break;
        expect(code).toBe(1);
        deaths += 1;
        if (deaths > 10) throw new Error("crash loop: the poison job was never failed");
        current = startServer(["--concurrency", "5", "--admin-port", "0"], { cwd: project.dir, env: env() });
      }
    })();
    try {
      const job = await waitFor(async () => {
        const r = await qw(["jobs", "show", poison, "--json"], { cwd: project.dir, env: env() });
        const j = r.code === 0 ? JSON.parse(r.stdout) : undefined;
        return j?.state === "failed" ? j : undefined;
      }, { timeoutMs: 90_000, what: "the poison job to fail" });
      expect(job.errors.at(-1).message).toContain("stalled too many times");
      expect(deaths).toBe(3);
      // The fleet is healthy again: new work runs.
      const [ok] = await enqueueRecords(1);
      await waitFor(() => runsById(project.out).has(ok), { what: "a normal job after the poison one" });
    } finally {
      stopped = true;
      current.kill("SIGKILL");
      await within(supervise, 15_000, "the supervising loop to end");
      project.cleanup();
    }
  }, 120_000);

  test("enqueue exits 3 within 15 s, naming the address, when Redis is unreachable", async () => {
    project = makeProject();
    try {
      const started = Date.now();
      const r = await qw(["enqueue", "noop"], { cwd: project.dir, env: { QWORKER_BACKEND: "redis", QWORKER_REDIS_URL: "redis://127.0.0.1:1" } });
      expect(r.code).toBe(3);
      expect(r.stderr).toContain("127.0.0.1:1");
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      project.cleanup();
    }
  }, 30_000);
});
