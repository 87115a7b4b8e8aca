/**
 * The README's quick start, driven through the built binary: run, enqueue
 * with --wait, a delayed enqueue, status, and a graceful Ctrl-C: on the
 * default SQLite store once per execution mode (jobs in the event loop, in
 * worker threads, in child processes), and on PostgreSQL (a fresh database
 * on the machine's server, `--backend postgres` through the environment).
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres.ts";
import { makeProject, qw as run, startServer, type Project, type Server } from "../helpers/qworker-binary.ts";
import { describeNeeding, type Tool } from "../helpers/requirements.ts";
import { fetchWithin, within } from "../helpers/wait.ts";

interface Backend {
  name: string;
  needs: Tool[];
  /** Environment for every command of the story (the store options); cleaned up after it. */
  setUp(): Promise<{ env: Record<string, string>; tearDown(): Promise<void> }>;
}

const BACKENDS: Backend[] = [
  { name: "sqlite", needs: [], setUp: async () => ({ env: {}, tearDown: async () => {} }) },
  {
    name: "postgres",
    needs: ["postgres"],
    setUp: async () => {
      const db: TestDatabase = await createTestDatabase("story");
      return { env: { QWORKER_BACKEND: "postgres", QWORKER_POSTGRES_URL: db.url }, tearDown: () => db.drop() };
    },
  },
];

const RUNS = [
  ...(["async", "thread", "process"] as const).map((mode) => ({ backend: BACKENDS[0], mode })),
  { backend: BACKENDS[1], mode: "async" as const },
];

for (const { backend, mode } of RUNS) describeNeeding(...backend.needs)(`e2e: the quick start on ${backend.name}, --mode ${mode}`, () => {
  let project: Project;
  let server: Server;
  let adminUrl: string;
  let env: Record<string, string> = {};
  let tearDown = async () => {};
  const qw = (args: string[], opts: { cwd: string }) => run(args, { ...opts, env });

  beforeAll(async () => {
    ({ env, tearDown } = await backend.setUp());
    project = makeProject();
    server = startServer(["--admin-port", "0", "--concurrency", "4", "--mode", mode], { cwd: project.dir, env: { ...env, QW_TEST_OUT: project.out } });
    adminUrl = await server.adminUrl();
  });

  afterAll(async () => {
    server.kill("SIGKILL");
    await within(server.exited, 10_000, "the killed server to exit");
    project.cleanup();
    await tearDown();
  });

  test("/health answers 200 with the store", async () => {
    const res = await fetchWithin(`${adminUrl}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok" });
  });

  test("enqueue --wait follows the job with progress and prints its result", async () => {
    const r = await qw(["enqueue", "progress", "--data", '{"steps":3,"stepMs":30}', "--wait"], { cwd: project.dir });
    expect(r.stderr).toContain("100%");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+ completed\n/);
    expect(JSON.parse(r.stdout.slice(r.stdout.indexOf("\n") + 1))).toEqual({ steps: 3 });
  });

  test("enqueue --wait exits 1 when the job fails, with its last error", async () => {
    const r = await qw(["enqueue", "always-fails", "--wait"], { cwd: project.dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("failed after 2 attempt(s): broken on try 2");
  });

  test("enqueue --in 300 prints an id and the job waits as delayed, due 300 s after it was enqueued", async () => {
    const r = await qw(["enqueue", "noop", "--in", "300", "--json"], { cwd: project.dir });
    expect(r.code).toBe(0);
    const { id } = JSON.parse(r.stdout);
    const show = await qw(["jobs", "show", id, "--json"], { cwd: project.dir });
    const job = JSON.parse(show.stdout);
    expect(job.state).toBe("delayed");
    // runAt is set from the enqueue's clock reading, createdAt from the store's a moment later.
    expect(job.runAt - job.createdAt).toBeGreaterThan(299_000);
    expect(job.runAt - job.createdAt).toBeLessThanOrEqual(300_000);
  });

  test(`jobs run in the server's mode (${mode})`, async () => {
    const r = await qw(["enqueue", "record", "--wait"], { cwd: project.dir });
    expect(r.code).toBe(0);
    const { pid } = JSON.parse(r.stdout.slice(r.stdout.indexOf("\n") + 1));
    if (mode === "process") expect(pid).not.toBe(server.proc.pid);
    else expect(pid).toBe(server.proc.pid);
    if (mode !== "async") await server.waitForLine(new RegExp(`${mode} mode: up to \\d+ (worker threads|child processes)`));
  });

  test("status shows queues, counts and the live worker", async () => {
    const r = await qw(["status", "--json"], { cwd: project.dir });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.queues.map((q: { queue: string }) => q.queue)).toEqual(["critical", "default", "low"]);
    const def = report.queues.find((q: { queue: string }) => q.queue === "default");
    expect(def.completed).toBeGreaterThanOrEqual(1);
    expect(def.delayed).toBe(1);
    expect(report.workers.length).toBe(1);
    expect(report.workers[0]).toMatchObject({ role: "all", concurrency: 4 });
    const text = await qw(["status"], { cwd: project.dir });
    expect(text.stdout).toContain("WAITING");
    expect(text.stdout).toContain("scheduler leader:");
  });

  test("jobs list, cancel, retry and remove work by id", async () => {
    const { stdout } = await qw(["enqueue", "noop", "--in", "3600"], { cwd: project.dir });
    const id = stdout.trim();
    expect((await qw(["jobs", "cancel", id], { cwd: project.dir })).stdout).toBe(`${id} cancelled\n`);
    const list = JSON.parse((await qw(["jobs", "list", "--state", "cancelled", "--json"], { cwd: project.dir })).stdout);
    expect(list.jobs.map((j: { id: string }) => j.id)).toContain(id);
    expect((await qw(["jobs", "retry", id], { cwd: project.dir })).stdout).toBe(`${id} waiting\n`);
    const done = await within(qw(["enqueue", "noop", "--wait"], { cwd: project.dir }), 30_000);
    expect(done.code).toBe(0);
    const removed = await qw(["jobs", "remove", id], { cwd: project.dir });
    expect(removed.code).toBe(0);
    const gone = await qw(["jobs", "show", id], { cwd: project.dir });
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain(`no job with id "${id}"`);
  });

  test("SIGINT stops the server gracefully with exit 0", async () => {
    server.kill("SIGINT");
    expect(await within(server.exited, 30_000, "server exit")).toBe(0);
    expect(server.log()).toContain("stopped");
  });
});
