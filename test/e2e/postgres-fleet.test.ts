/**
 * Issue 12 on real processes and a real PostgreSQL: a worker SIGKILLed in
 * the middle of a 5,000-job drain loses nothing (two others finish every
 * job, and only jobs it had in flight run twice), and a PostgreSQL restart
 * in the middle of a burst needs no operator (workers recover by
 * themselves and every acknowledged job runs).
 *
 * The kill test uses a fresh database on the machine's server; the restart
 * test starts a private cluster (that server is shared: tests never
 * restart it).
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createTestDatabase, startPrivatePostgres, type PrivatePostgres, type TestDatabase } from "../helpers/postgres.ts";
import { makeProject, qw, startServer, type Project, type Server } from "../helpers/qworker-binary.ts";
import { describeNeeding } from "../helpers/requirements.ts";
import { runsById, totalRuns } from "../helpers/run-log.ts";
import { fetchWithin, waitFor, within } from "../helpers/wait.ts";

function writeConfig(project: Project): void {
  mkdirSync(join(project.dir, "config"), { recursive: true });
  writeFileSync(
    join(project.dir, "config/qworker.json"),
    JSON.stringify({
      worker: { lease: "2s", heartbeat: "500ms" },
      scheduler: { rescueInterval: "250ms", leaderTtl: "2s", leaderRenew: "500ms" },
      retention: { completedMaxCount: 100_000 },
    }),
  );
}

async function enqueueRecords(project: Project, env: Record<string, string>, n: number, payload: object): Promise<string[]> {
  const file = join(project.dir, `batch-${Date.now()}-${n}.jsonl`);
  writeFileSync(file, Array.from({ length: n }, (_, i) => JSON.stringify({ n: i, ...payload })).join("\n"));
  const r = await qw(["enqueue", "record", "--jsonl", file, "--json"], { cwd: project.dir, env });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout).ids;
}

async function counts(project: Project, env: Record<string, string>): Promise<Record<string, number>> {
  const r = await qw(["status", "--json"], { cwd: project.dir, env });
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout).queues.find((q: { queue: string }) => q.queue === "default");
}

describeNeeding("postgres")("e2e: a fleet on PostgreSQL", () => {
  describe("on the machine's server", () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase("fleet");
    });
    afterAll(async () => {
      await db?.drop();
    });

    test("kill -9 one of three workers mid-drain of 5,000 jobs: the other two finish every job; only jobs it held run twice", async () => {
      const project = makeProject();
      writeConfig(project);
      const env = { QWORKER_BACKEND: "postgres", QWORKER_POSTGRES_URL: db.url, QW_TEST_OUT: project.out };
      const fleet: Server[] = [];
      try {
        const ids = await enqueueRecords(project, env, 5_000, { sleepMs: 20 });
        expect(new Set(ids).size).toBe(5_000);
        // The rescuer runs in the scheduler; the workers only work.
        fleet.push(startServer(["--role", "scheduler"], { cwd: project.dir, env }));
        const workers = [0, 1, 2].map(() => startServer(["--role", "worker", "--concurrency", "50"], { cwd: project.dir, env }));
        fleet.push(...workers);
        const victim = workers[0];
        const victimLog = join(project.out, `${victim.proc.pid}.log`);
        const ranThere = () => {
          try {
            return readFileSync(victimLog, "utf8").split("\n").filter(Boolean);
          } catch {
            return [];
          }
        };
        await waitFor(() => totalRuns(project.out) >= 1_000 && ranThere().length >= 100, { timeoutMs: 60_000, what: "the drain to be under way on every worker" });
        victim.kill("SIGKILL");
        await within(victim.exited, 10_000, "the killed worker to exit");
        const killedAt = Date.now();
        await waitFor(async () => (await counts(project, env)).completed === 5_000, { timeoutMs: 120_000, intervalMs: 500, what: "all 5,000 jobs to complete" });
        const recoveredMs = Date.now() - killedAt;

        const runs = runsById(project.out);
        for (const id of ids) expect(runs.get(id) ?? 0).toBeGreaterThanOrEqual(1);
        const twice = ids.filter((id) => (runs.get(id) ?? 0) > 1);
        const byVictim = new Set(ranThere());
        // Jobs the killed worker held are exactly the ones the rescuer took back (stalls = 1).
        const rescued = await db.query<{ id: string }>("SELECT id FROM qworker.jobs WHERE stalls > 0");
        const rescuedIds = new Set(rescued.map((r) => r.id));
        // Held at once: at most 50 running plus 50 outcomes waiting for the next claim.
        expect(rescuedIds.size).toBeLessThanOrEqual(100);
        for (const id of twice) {
          expect({ id, runs: runs.get(id), ranOnVictim: byVictim.has(id), rescued: rescuedIds.has(id) }).toEqual({ id, runs: 2, ranOnVictim: true, rescued: true });
        }
        // The survivors did the rest without a restart: the drain went on, it did not wait for an operator.
        expect(recoveredMs).toBeLessThan(120_000);
        for (const w of workers.slice(1)) expect(w.proc.exitCode).toBeNull();
        console.log(`kill -9 mid-drain: ${twice.length} job(s) ran twice, ${rescuedIds.size} rescued, all 5,000 done ${recoveredMs} ms after the kill`);
      } finally {
        for (const p of fleet) p.kill("SIGKILL");
        project.cleanup();
      }
    }, 240_000);
  });

  describe("on a private server that restarts", () => {
    let server: PrivatePostgres;
    beforeAll(async () => {
      server = await startPrivatePostgres();
    }, 120_000);
    afterAll(async () => {
      await server?.stop();
    });

    test("PostgreSQL stops and restarts mid-burst: /health says 503 meanwhile, enqueue exits 3, then every acknowledged job runs with no operator action", async () => {
      const project = makeProject();
      writeConfig(project);
      const env = { QWORKER_BACKEND: "postgres", QWORKER_POSTGRES_URL: server.url, QW_TEST_OUT: project.out };
      const fleet: Server[] = [];
      try {
        const before = await enqueueRecords(project, env, 3_000, { sleepMs: 5 });
        const main = startServer(["--concurrency", "20", "--admin-port", "0"], { cwd: project.dir, env });
        fleet.push(main);
        const burst = startServer(["--role", "worker", "--burst", "--concurrency", "20"], { cwd: project.dir, env });
        fleet.push(burst);
        const url = await main.adminUrl();
        await waitFor(() => totalRuns(project.out) >= 500, { timeoutMs: 60_000, what: "the burst to be under way" });

        await server.halt();
        await waitFor(async () => (await fetchWithin(`${url}/health`)).status === 503, { what: "/health to report 503" });
        const refused = await qw(["enqueue", "record", "--data", "{}"], { cwd: project.dir, env });
        expect(refused.code).toBe(3);
        expect(refused.stderr).toContain("127.0.0.1");
        await server.start();
        await waitFor(async () => (await fetchWithin(`${url}/health`)).status === 200, { timeoutMs: 60_000, what: "/health to recover" });

        const after = await enqueueRecords(project, env, 300, {});
        await waitFor(async () => (await counts(project, env)).completed === 3_300, { timeoutMs: 120_000, intervalMs: 500, what: "every acknowledged job to complete" });
        const runs = runsById(project.out);
        for (const id of [...before, ...after]) expect(runs.get(id) ?? 0).toBeGreaterThanOrEqual(1);
        expect(await within(burst.exited, 60_000, "the burst worker to drain and exit")).toBe(0);
        for (const p of fleet) expect(p.log()).not.toContain("worker pool stopped on an error");
        expect(main.log()).toContain("the store takes writes again");
      } finally {
        for (const p of fleet) p.kill("SIGKILL");
        project.cleanup();
      }
    }, 240_000);
  });
});
