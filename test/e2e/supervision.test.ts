/**
 * `run --processes N`: supervised worker processes named host-pid-index;
 * SIGKILL of one is survived (it is restarted, its job rescued and
 * completed); a job that kills its worker process fails as stalled while
 * the supervisor keeps the fleet up; an async job that ignores its timeout
 * gets its process recycled; and at start, the records of gone workers of
 * this host are forgotten.
 */

import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeProject, qw, startServer, type Project, type Server } from "../helpers/qworker-binary.ts";
import { runsById } from "../helpers/run-log.ts";
import { waitFor, within } from "../helpers/wait.ts";

let project: Project;
let server: Server | undefined;

afterEach(async () => {
  server?.kill("SIGKILL");
  if (server) await within(server.exited, 10_000, "the killed server to exit");
  server = undefined;
  project.cleanup();
});

function fastRescueConfig(): void {
  mkdirSync(join(project.dir, "config"), { recursive: true });
  writeFileSync(join(project.dir, "config/qworker.json"), JSON.stringify({ worker: { lease: "1s", shutdownTimeout: "5s" }, scheduler: { rescueInterval: "250ms" } }));
}

async function jobState(id: string): Promise<{ state: string; errors: { message: string }[] } | undefined> {
  const r = await qw(["jobs", "show", id, "--json"], { cwd: project.dir });
  return r.code === 0 ? JSON.parse(r.stdout) : undefined;
}

interface WorkerView {
  id: string;
  pid: number;
  running: string[];
  alive: boolean;
}

async function workers(): Promise<WorkerView[]> {
  return JSON.parse((await qw(["status", "--json"], { cwd: project.dir })).stdout).workers;
}

/** Supervised worker processes, with leases short enough that a lost job is rescued in about a second. */
async function startSupervised(processes: number): Promise<Server> {
  fastRescueConfig();
  const s = startServer(["--processes", String(processes), "--admin-port", "0"], { cwd: project.dir, env: { QW_TEST_OUT: project.out } });
  await s.adminUrl();
  return s;
}

function failedJob(id: string, timeoutMs: number, what: string) {
  return waitFor(async () => {
    const j = await jobState(id);
    return j?.state === "failed" ? j : undefined;
  }, { timeoutMs, what });
}

async function enqueue(name: string, data = "{}"): Promise<string> {
  const r = await qw(["enqueue", name, "--data", data], { cwd: project.dir });
  expect(r.code).toBe(0);
  return r.stdout.trim();
}

describe("e2e: --processes", () => {
  test("two supervised worker processes register as host-pid-index, run the jobs (the parent runs none), and stop with the parent", async () => {
    project = makeProject();
    server = startServer(["--processes", "2", "--concurrency", "5", "--admin-port", "0"], { cwd: project.dir, env: { QW_TEST_OUT: project.out } });
    await server.adminUrl();
    const live = await waitFor(async () => {
      const w = await workers();
      return w.length === 2 ? w : undefined;
    }, { what: "two worker processes" });
    const parentPid = server.proc.pid;
    expect(live.map((w) => w.id).sort()).toEqual([0, 1].map((i) => expect.stringMatching(new RegExp(`-${parentPid}-${i}$`))));
    const file = join(project.dir, "many.jsonl");
    writeFileSync(file, Array.from({ length: 200 }, (_, i) => `{"n":${i},"sleepMs":10}`).join("\n"));
    expect((await qw(["enqueue", "record", "--jsonl", file], { cwd: project.dir })).code).toBe(0);
    await waitFor(() => runsById(project.out).size === 200, { what: "200 jobs" });
    // The record job writes <pid>.log in the process that ran it: only the registered children may have.
    const pids = new Set(live.map((w) => w.pid));
    expect(pids.has(parentPid)).toBe(false);
    const ranIn = readdirSync(project.out).filter((f) => f.endsWith(".log")).map((f) => Number(f.slice(0, -4)));
    expect(ranIn.length).toBeGreaterThan(0);
    for (const pid of ranIn) expect(pids.has(pid)).toBe(true);
    server.kill("SIGTERM");
    expect(await within(server.exited, 30_000)).toBe(0);
    expect(await workers()).toEqual([]);
  }, 60_000);

  test("SIGKILL one child of --processes 4: it is restarted, and its job is rescued and completes", async () => {
    project = makeProject();
    server = await startSupervised(4);
    await waitFor(async () => (await workers()).filter((x) => x.alive).length === 4, { what: "four worker processes" });
    const id = await enqueue("record", '{"sleepMs":4000}');
    const holder = await waitFor(async () => (await workers()).find((w) => w.running.includes(id)), { what: "a worker to take the job" });
    process.kill(holder.pid, "SIGKILL");
    await server.waitForLine(new RegExp(`worker process exited; restarting it .*pid=${holder.pid}`));
    // The job is rescued and completes (in the restarted process or a sibling): it ran exactly once to the end.
    await waitFor(() => runsById(project.out).get(id) === 1, { timeoutMs: 60_000, what: "the rescued job to complete" });
    expect((await jobState(id))!.state).toBe("completed");
    const after = await waitFor(async () => {
      const live = (await workers()).filter((w) => w.alive);
      return live.length === 4 && !live.some((w) => w.pid === holder.pid) ? live : undefined;
    }, { timeoutMs: 30_000, what: "four live worker processes again, without the killed one" });
    const index = holder.id.split("-").at(-1);
    expect(after.some((w) => w.id.endsWith(`-${index}`))).toBe(true);
  }, 120_000);

  test("an async job that kills its process ends failed as stalled; the supervisor keeps the fleet up", async () => {
    project = makeProject();
    server = await startSupervised(1);
    const poison = await enqueue("exit-process");
    const dead = await failedJob(poison, 60_000, "the poison job to fail");
    expect(dead.errors.at(-1)!.message).toContain("stalled too many times");
    expect(server.log().match(/worker process exited; restarting it/g)?.length).toBe(3);
    const ok = await enqueue("record");
    await waitFor(() => runsById(project.out).has(ok), { timeoutMs: 30_000, what: "a normal job afterwards" });
  }, 90_000);

  test("an async job that ignores its timeout is written off and its worker process recycled", async () => {
    project = makeProject();
    server = await startSupervised(1);
    const stuck = await enqueue("ignores-timeout");
    const failed = await failedJob(stuck, 30_000, "the stuck job to be written off");
    expect(failed.errors[0].message).toContain("timed out after 300 ms");
    await server.waitForLine(/recycling this worker process/);
    await server.waitForLine(/worker process recycled; starting it again/);
    const ok = await enqueue("record");
    await waitFor(() => runsById(project.out).has(ok), { timeoutMs: 30_000, what: "a normal job on the new process" });
  }, 60_000);

  test("at start, the records of this host's workers whose process is gone are forgotten", async () => {
    project = makeProject();
    const first = startServer(["--admin-port", "0"], { cwd: project.dir });
    await first.adminUrl();
    const [gone] = await waitFor(async () => {
      const w = await workers();
      return w.length === 1 ? w : undefined;
    }, { what: "the first server's worker" });
    first.kill("SIGKILL");
    await within(first.exited, 10_000, "the first server to die");
    expect((await workers()).map((w) => w.id)).toEqual([gone.id]);
    server = startServer(["--admin-port", "0"], { cwd: project.dir });
    await server.adminUrl();
    await server.waitForLine(new RegExp(`forgot the records of gone workers of this host workers=${gone.id}`));
    const now = await workers();
    expect(now.map((w) => w.pid)).toEqual([server.proc.pid]);
  }, 60_000);
});
