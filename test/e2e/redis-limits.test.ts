/**
 * The built binary on a Redis that cannot keep every job safe (issue 16):
 * - an evicting maxmemory-policy makes `run` and `enqueue` refuse to start
 *   (exit 2) unless the user accepts losing jobs; `info` and `/health` show
 *   the policy;
 * - a Redis out of memory stops new jobs from starting (their outcome could
 *   not be written), `/health` says 503 meanwhile, and after recovery no job
 *   has run twice beyond the ones in flight at the switch.
 */

import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import Redis from "ioredis";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeProject, qw, startServer, type Project } from "../helpers/qworker-binary.ts";
import { startRedisServer, type RedisServer } from "../helpers/redis-server.ts";
import { describeNeeding } from "../helpers/requirements.ts";
import { runsById, totalRuns } from "../helpers/run-log.ts";
import { fetchWithin, waitFor, within } from "../helpers/wait.ts";

describeNeeding("redis-server")("e2e: Redis memory limits", () => {
  let redis: RedisServer;
  let admin: Redis;
  let project: Project;
  let prefixSeq = 0;

  const env = (prefix: string, extra: Record<string, string> = {}) => ({
    QWORKER_BACKEND: "redis",
    QWORKER_REDIS_URL: redis.url,
    QW_TEST_OUT: project.out,
    QWORKER_CONFIG: writeConfig(prefix),
    ...extra,
  });
  const writeConfig = (prefix: string) => {
    const file = join(project.dir, `qworker-${prefix}.json`);
    writeFileSync(file, JSON.stringify({ store: { redisPrefix: prefix }, worker: { lease: "5s" }, scheduler: { rescueInterval: "500ms" } }));
    return file;
  };

  beforeAll(async () => {
    redis = await startRedisServer();
    admin = new Redis(redis.url);
  });
  afterEach(() => project?.cleanup());
  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
  });

  test("a Redis with allkeys-lru makes run and enqueue exit 2 naming the policy and the fix, unless --allow-eviction (or QWORKER_ALLOW_EVICTION=1) is given; info shows the policy", async () => {
    project = makeProject();
    const prefix = `evict-${prefixSeq++}`;
    await admin.config("SET", "maxmemory-policy", "allkeys-lru");
    try {
      for (const args of [["enqueue", "record", "--data", "{}"], ["run", "--burst", "--admin-port", "0"]]) {
        const r = await qw(args, { cwd: project.dir, env: env(prefix) });
        expect(r.code).toBe(2);
        expect(r.stderr).toContain('maxmemory-policy "allkeys-lru"');
        expect(r.stderr).toContain("noeviction");
        expect(r.stderr).toContain("--allow-eviction");
        expect(r.stderr).not.toContain("    at "); // a message, not a stack trace
      }
      expect(totalRuns(project.out)).toBe(0);

      const info = await qw(["info"], { cwd: project.dir, env: env(prefix) });
      expect(info.code).toBe(0);
      expect(JSON.parse(info.stdout).redis).toMatchObject({ reachable: true, maxmemoryPolicy: "allkeys-lru", evictionAccepted: false });

      const enq = await qw(["enqueue", "record", "--data", "{}", "--allow-eviction"], { cwd: project.dir, env: env(prefix) });
      expect(enq.stderr).toBe("");
      expect(enq.code).toBe(0);
      const run = await qw(["run", "--burst", "--admin-port", "0"], { cwd: project.dir, env: env(prefix, { QWORKER_ALLOW_EVICTION: "1" }) });
      expect(run.code).toBe(0);
      expect(run.stderr).toContain('maxmemory-policy is "allkeys-lru"');
      expect(totalRuns(project.out)).toBe(1);
    } finally {
      await admin.config("SET", "maxmemory-policy", "noeviction");
    }
  }, 60_000);

  test("Redis with a tiny maxmemory: /health gives 503 while writes fail and 200 after recovery; meanwhile at most the jobs in flight (concurrency 10) plus one claim racing the switch run, and after recovery every job has run, none twice beyond those", async () => {
    project = makeProject();
    const prefix = `oom-${prefixSeq++}`;
    const jobs = 300;
    const file = join(project.dir, "oom.jsonl");
    writeFileSync(file, Array.from({ length: jobs }, (_, n) => JSON.stringify({ n, sleepMs: 100 })).join("\n"));
    const enq = await qw(["enqueue", "record", "--jsonl", file], { cwd: project.dir, env: env(prefix) });
    expect(enq.code).toBe(0);
    const server = startServer(["--concurrency", "10", "--admin-port", "0"], { cwd: project.dir, env: env(prefix) });
    try {
      const health = `${await server.adminUrl()}/health`;
      expect((await fetchWithin(health)).status).toBe(200);
      await waitFor(() => totalRuns(project.out) >= 30, { what: "30 runs before Redis fills up", timeoutMs: 30_000 });

      await admin.config("SET", "maxmemory", "1");
      const atSwitch = totalRuns(project.out);
      await waitFor(async () => (await fetchWithin(health)).status === 503, { what: "/health to report 503", timeoutMs: 15_000 });
      const body = (await (await fetchWithin(health)).json()) as { status: string; failing: string };
      expect(body.status).toBe("degraded");
      expect(body.failing).toContain("out of memory");
      // Jobs starting now would be jobs claimed while Redis is full: the absence can only be observed over a window.
      await Bun.sleep(2_000);
      const whileFull = totalRuns(project.out) - atSwitch;
      expect(whileFull).toBeLessThanOrEqual(20);
      expect((await fetchWithin(health)).status).toBe(503);

      await admin.config("SET", "maxmemory", "0");
      await waitFor(async () => (await fetchWithin(health)).status === 200, { what: "/health back to 200", timeoutMs: 15_000 });
      await waitFor(() => runsById(project.out).size >= jobs, { what: `all ${jobs} jobs to run`, timeoutMs: 60_000 });
      const runs = runsById(project.out);
      const twice = [...runs.values()].filter((n) => n > 1).length;
      expect(twice).toBeLessThanOrEqual(10);
      await waitFor(async () => {
        const s = await qw(["status", "--json"], { cwd: project.dir, env: env(prefix) });
        return JSON.parse(s.stdout).queues.find((q: { queue: string }) => q.queue === "default")?.completed === jobs;
      }, { what: `${jobs} jobs completed in the store`, timeoutMs: 30_000 });
    } finally {
      await admin.config("SET", "maxmemory", "0");
      server.kill("SIGTERM");
      await within(server.exited, 30_000, "the server to stop");
    }
  }, 120_000);

  test("a maxmemory-policy changed to allkeys-lru while qworker runs turns /health to 503 naming the policy; back to noeviction, 200", async () => {
    project = makeProject();
    const server = startServer(["--admin-port", "0"], { cwd: project.dir, env: env(`policy-${prefixSeq++}`) });
    try {
      const health = `${await server.adminUrl()}/health`;
      const first = await fetchWithin(health);
      expect(first.status).toBe(200);
      expect(((await first.json()) as { store: { maxmemoryPolicy: string } }).store.maxmemoryPolicy).toBe("noeviction");
      await admin.config("SET", "maxmemory-policy", "allkeys-lru");
      const res = await fetchWithin(health);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { failing: string }).failing).toContain('"allkeys-lru"');
      await admin.config("SET", "maxmemory-policy", "noeviction");
      expect((await fetchWithin(health)).status).toBe(200);
    } finally {
      await admin.config("SET", "maxmemory-policy", "noeviction");
      server.kill("SIGTERM");
      await within(server.exited, 30_000, "the server to stop");
    }
  }, 60_000);
});
