/**
 * Issue 4 through the binary: three `--role scheduler` processes and one
 * `--role worker` on one store with an every-second schedule. Each slot is
 * enqueued once and run once; kill -9 the leader and another takes over
 * within the lease TTL plus a tick, still with no slot twice. Runs on a
 * SQLite file, on a private Redis, and on a fresh database of the machine's
 * PostgreSQL.
 */

import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeProject, qw, startServer, type Project, type Server } from "../helpers/qworker-binary.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres.ts";
import { startRedisServer, type RedisServer } from "../helpers/redis-server.ts";
import { describeNeeding, type Tool } from "../helpers/requirements.ts";
import { runsById } from "../helpers/run-log.ts";
import { fetchWithin, waitFor, within } from "../helpers/wait.ts";

const LEADER_TTL_MS = 2_000;
// Long enough for the leader to schedule several slots before the kill and the new one several after it.
const RUN_FOR_MS = 12_000;

interface Backend {
  name: string;
  needs: Tool[];
  env(project: Project): Promise<Record<string, string>>;
  cleanup(): Promise<void>;
}

const sqlite: Backend = {
  name: "sqlite",
  needs: [],
  env: async () => ({}),
  cleanup: async () => {},
};

let redis: RedisServer | undefined;
const redisBackend: Backend = {
  name: "redis",
  needs: ["redis-server"],
  env: async () => {
    redis ??= await startRedisServer();
    return { QWORKER_BACKEND: "redis", QWORKER_REDIS_URL: redis.url };
  },
  cleanup: async () => redis?.stop(),
};

let postgres: TestDatabase | undefined;
const postgresBackend: Backend = {
  name: "postgres",
  needs: ["postgres"],
  env: async () => {
    postgres ??= await createTestDatabase("schedulers");
    return { QWORKER_BACKEND: "postgres", QWORKER_POSTGRES_URL: postgres.url };
  },
  cleanup: async () => postgres?.drop(),
};

afterAll(async () => {
  await redisBackend.cleanup();
  await postgresBackend.cleanup();
});

function writeConfig(project: Project): void {
  mkdirSync(join(project.dir, "config"), { recursive: true });
  writeFileSync(
    join(project.dir, "config/qworker.json"),
    JSON.stringify({
      scheduler: { leaderTtl: `${LEADER_TTL_MS}ms`, leaderRenew: "500ms", rescueInterval: "500ms" },
      retention: { completedMaxCount: 100_000 },
      // catchUp covers the slots missed during a handover, so none may be missing.
      schedules: [{ name: "tick", job: "record", cron: "* * * * * *", payload: {}, catchUp: "10s" }],
    }),
  );
}

async function leaderOf(project: Project, env: Record<string, string>): Promise<string | undefined> {
  const r = await qw(["status", "--json"], { cwd: project.dir, env });
  if (r.code !== 0) return undefined;
  return JSON.parse(r.stdout).leader?.holder;
}

async function allJobIds(project: Project, env: Record<string, string>): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const r = await qw(["jobs", "list", "--name", "record", "--limit", "1000", "--json", ...(cursor ? ["--cursor", cursor] : [])], { cwd: project.dir, env });
    const page = JSON.parse(r.stdout);
    ids.push(...page.jobs.map((j: { id: string }) => j.id));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

for (const backend of [sqlite, redisBackend, postgresBackend]) {
  describeNeeding(...backend.needs)(`e2e: scheduler role on ${backend.name}`, () => {
    test(
      "three schedulers, leader killed with -9: another takes over; no every-second slot is enqueued or run twice, at most one is missed",
      async () => {
        const project = makeProject();
        writeConfig(project);
        const env = { ...(await backend.env(project)), QW_TEST_OUT: project.out };
        const servers: Server[] = [];
        try {
          const schedulers = [0, 1, 2].map(() => startServer(["--role", "scheduler"], { cwd: project.dir, env }));
          servers.push(...schedulers);
          const worker = startServer(["--role", "worker", "--concurrency", "5"], { cwd: project.dir, env });
          servers.push(worker);
          for (const s of servers) await s.waitForLine(/qworker ready/);
          const started = Date.now();

          const first = await waitFor(() => leaderOf(project, env), { what: "a scheduler leader" });
          const leaderProc = schedulers.find((s) => first.endsWith(`-${s.proc.pid}`));
          expect(leaderProc).toBeDefined();
          // Let it schedule for a while, then kill it without warning.
          await waitFor(() => Date.now() - started > RUN_FOR_MS / 2, { intervalMs: 200, timeoutMs: RUN_FOR_MS });
          leaderProc!.kill("SIGKILL");
          const killedAt = Date.now();
          const second = await waitFor(async () => {
            const l = await leaderOf(project, env);
            return l && l !== first ? l : undefined;
          }, { what: "a new leader", intervalMs: 100 });
          const takeoverMs = Date.now() - killedAt;
          // TTL + one renewal tick, plus generous room for a loaded machine.
          expect(takeoverMs).toBeLessThan(LEADER_TTL_MS + 500 + 5_000);
          expect(second).not.toBe(first);

          await waitFor(() => Date.now() - started > RUN_FOR_MS, { intervalMs: 200, timeoutMs: RUN_FOR_MS * 2 });
          for (const s of servers) if (s !== leaderProc) s.kill("SIGTERM");
          for (const s of servers) if (s !== leaderProc) expect(await within(s.exited, 30_000)).toBe(0);

          // The worker never scheduled and the schedulers never ran a job.
          expect(worker.log()).not.toContain("elected scheduler leader");
          for (const s of schedulers) expect(s.log()).not.toMatch(/job=record/);

          const ids = await allJobIds(project, env);
          const slots = ids.map((id) => Number(/^cron:tick:(\d+)$/.exec(id)![1])).sort((a, b) => a - b);
          expect(new Set(slots).size).toBe(slots.length);
          expect(slots.length).toBeGreaterThanOrEqual(RUN_FOR_MS / 1000 - 3);
          // Consecutive seconds, with catch-up covering the handover: at most one missed slot.
          let missing = 0;
          for (let i = 1; i < slots.length; i++) missing += (slots[i] - slots[i - 1]) / 1000 - 1;
          expect(missing).toBeLessThanOrEqual(1);
          // Each enqueued slot ran exactly once (the worker finished before it exited).
          const runs = runsById(project.out);
          for (const id of ids) expect(runs.get(id) ?? 0).toBeLessThanOrEqual(1);
          expect([...runs.values()].every((n) => n === 1)).toBe(true);
        } finally {
          for (const s of servers) s.kill("SIGKILL");
          project.cleanup();
        }
      },
      120_000,
    );
  });
}

describe("e2e: roles", () => {
  test("--role api serves the admin API only; jobs enqueued through it wait for a worker", async () => {
    const project = makeProject();
    try {
      const api = startServer(["--role", "api", "--admin-port", "0"], { cwd: project.dir });
      const url = await api.adminUrl();
      const res = await fetchWithin(`${url}/api/jobs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "noop" }) });
      expect(res.status).toBe(201);
      const { id } = (await res.json()) as { id: string };
      const status = JSON.parse((await qw(["status", "--json"], { cwd: project.dir })).stdout);
      expect(status.workers).toEqual([]);
      expect(status.leader).toBeUndefined();
      expect((await (await fetchWithin(`${url}/api/jobs/${id}`)).json()).state).toBe("waiting");
      api.kill("SIGTERM");
      expect(await within(api.exited, 30_000)).toBe(0);
      const worker = startServer(["--role", "worker", "--burst"], { cwd: project.dir });
      expect(await within(worker.exited, 30_000)).toBe(0);
      const show = JSON.parse((await qw(["jobs", "show", id, "--json"], { cwd: project.dir })).stdout);
      expect(show.state).toBe("completed");
    } finally {
      project.cleanup();
    }
  }, 60_000);
});
