/**
 * Issue 11 on real processes: a 3-master Redis Cluster started by the test,
 * six queues spread over three queue tags whose slots sit on the three
 * masters (as docs/redis.md tells a deployment to pick them), 20,000 jobs
 * drained by three `qworker run --burst` processes. Every job runs exactly
 * once, and INFO commandstats shows each master ran a share of the scripts.
 */

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Redis from "ioredis";
import { makeProject, qw, startServer, type Project } from "../helpers/qworker-binary.ts";
import { startRedisCluster, type RedisCluster } from "../helpers/redis-cluster.ts";
import { describeNeeding } from "../helpers/requirements.ts";
import { runsById } from "../helpers/run-log.ts";
import { within } from "../helpers/wait.ts";

const QUEUES = ["q1", "q2", "q3", "q4", "q5", "q6"];

describeNeeding("redis-server", "redis-cli")("e2e: a fleet on a Redis Cluster", () => {
  let cluster: RedisCluster;
  let project: Project;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    project = makeProject();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
    project?.cleanup();
  });

  /** Script calls (EVALSHA/EVAL) each master has run since its stats were reset. */
  const scriptCalls = async () =>
    Promise.all(
      cluster.nodes.map(async (n) => {
        const c = new Redis(n.port, "127.0.0.1");
        try {
          const stats = String(await c.info("commandstats"));
          return [...stats.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
        } finally {
          c.disconnect();
        }
      }),
    );

  test("six queues over three tags on three masters drain 20,000 jobs exactly once, and every master runs at least a fifth of the scripts", async () => {
    const [a, b, c] = await cluster.tagsOnDistinctMasters("fleet", 3);
    expect(c).toBeDefined();
    mkdirSync(join(project.dir, "config"), { recursive: true });
    writeFileSync(
      join(project.dir, "config/qworker.json"),
      JSON.stringify({
        queues: [...QUEUES, "critical", "default", "low"],
        store: { backend: "redis", redisUrl: cluster.url, redisPrefix: "fleet", queueTags: { [a]: ["q1", "q2"], [b]: ["q3", "q4"], [c]: ["q5", "q6"] } },
        retention: { completedMaxCount: 100_000 },
      }),
    );
    const env = { QW_TEST_OUT: project.out };
    const ids: string[] = [];
    for (const [i, queue] of QUEUES.entries()) {
      const n = i < 2 ? 3_334 : 3_333;
      const file = join(project.dir, `${queue}.jsonl`);
      writeFileSync(file, Array.from({ length: n }, (_, k) => JSON.stringify({ n: k })).join("\n"));
      const r = await qw(["enqueue", "record", "--queue", queue, "--jsonl", file, "--json"], { cwd: project.dir, env });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      ids.push(...JSON.parse(r.stdout).ids);
    }
    expect(new Set(ids).size).toBe(20_000);

    for (const n of cluster.nodes) {
      const conn = new Redis(n.port, "127.0.0.1");
      await conn.config("RESETSTAT");
      conn.disconnect();
    }
    const fleet = Array.from({ length: 3 }, () => startServer(["--role", "worker", "--burst", "--concurrency", "50"], { cwd: project.dir, env }));
    for (const p of fleet) expect(await within(p.exited, 120_000, "a burst worker")).toBe(0);

    const runs = runsById(project.out);
    expect(runs.size).toBe(20_000);
    for (const id of ids) expect(runs.get(id)).toBe(1);
    const status = await qw(["status", "--json"], { cwd: project.dir, env });
    const counts = JSON.parse(status.stdout).queues.filter((q: { queue: string }) => QUEUES.includes(q.queue));
    expect(counts.reduce((n: number, q: { completed: number }) => n + q.completed, 0)).toBe(20_000);

    const calls = await scriptCalls();
    const total = calls.reduce((x, y) => x + y, 0);
    for (const share of calls) expect(share / total).toBeGreaterThanOrEqual(0.2);
  }, 240_000);
});
