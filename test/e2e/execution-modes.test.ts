/**
 * Execution modes through the compiled binary: in a server left in the
 * default async mode, a job declared `mode: "thread"` or `"process"` that
 * spins forever is stopped and fails while ordinary jobs complete beside
 * it; a process-mode job that calls process.exit stalls until it fails
 * past maxStalls while the pool carries on; a thread-mode job's progress,
 * log, follow-up and result show in `jobs show`; an async job that blocks
 * the event loop is named in the log; `--max-jobs` and bad `mode` values.
 */

import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeProject, qw, startServer, type Project, type Server } from "../helpers/qworker-binary.ts";
import { runsById } from "../helpers/run-log.ts";
import { fetchWithin, waitFor, within } from "../helpers/wait.ts";

let project: Project;
let server: Server | undefined;

afterEach(async () => {
  server?.kill("SIGKILL");
  if (server) await within(server.exited, 10_000, "the killed server to exit");
  server = undefined;
  project?.cleanup();
});

function addJob(file: string, source: string): void {
  writeFileSync(join(project.jobs, file), source);
}

interface ShownJob {
  id: string;
  state: string;
  finishedAt?: number;
  result?: unknown;
  progress?: { pct: number; msg?: string };
  errors: { message: string }[];
  logs?: { msg: string; level: string; fields?: unknown }[];
  stalls: number;
}

async function show(id: string): Promise<ShownJob> {
  const r = await qw(["jobs", "show", id, "--json"], { cwd: project.dir });
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

async function enqueue(name: string, data = "{}"): Promise<string> {
  const r = await qw(["enqueue", name, "--data", data], { cwd: project.dir });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
}

function until(id: string, state: string, timeoutMs: number): Promise<ShownJob> {
  return waitFor(async () => {
    const j = await show(id);
    return j.state === state ? j : undefined;
  }, { timeoutMs, what: `job ${id} to be ${state}`, intervalMs: 200 });
}

/** Alive and not a zombie (an orphan's zombie may wait for a reaper that never comes in a container). */
function running(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

async function listed(name: string, state: string): Promise<ShownJob[]> {
  const r = await qw(["jobs", "list", "--name", name, "--state", state, "--limit", "1000", "--json"], { cwd: project.dir });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).jobs;
}

async function enqueueRecords(n: number): Promise<string[]> {
  const file = join(project.dir, `records-${Date.now()}.jsonl`);
  writeFileSync(file, Array.from({ length: n }, (_, i) => `{"n":${i}}`).join("\n"));
  const r = await qw(["enqueue", "record", "--jsonl", file, "--json"], { cwd: project.dir });
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { ids: string[] }).ids;
}

describe("e2e: execution modes", () => {
  for (const mode of ["process", "thread"] as const) {
    test(`default async server: a mode: "${mode}" job spinning for(;;){} with a 1s timeout ends failed, and 200 ordinary jobs beside it complete meanwhile`, async () => {
      project = makeProject();
      addJob("spin.ts", `import { defineJob } from "qworker";\nexport default defineJob({ name: "spin", mode: "${mode}", timeout: "1s", attempts: 1, async run() { for (;;) {} } });\n`);
      server = startServer(["--admin-port", "0", "--concurrency", "8"], { cwd: project.dir, env: { QW_TEST_OUT: project.out } });
      const admin = await server.adminUrl();
      const spin = await enqueue("spin");
      await until(spin, "active", 30_000);
      const ids = await enqueueRecords(200);
      await waitFor(() => runsById(project.out).size === 200, { timeoutMs: 60_000, what: "the 200 ordinary jobs to run" });
      // The event loop stays free: /health answers while the spinner spins in its ${mode}.
      expect((await fetchWithin(`${admin}/health`)).status).toBe(200);
      const failed = await until(spin, "failed", 30_000);
      expect(failed.errors.map((e) => e.message)).toEqual(["timed out after 1s"]);
      expect(failed.logs!.at(-1)!.msg).toContain(`its ${mode === "thread" ? "thread" : "child process"} was stopped after a 5000 ms grace`);
      const done = await listed("record", "completed");
      expect(done.map((j) => j.id).sort()).toEqual([...ids].sort());
      // "Meanwhile": every ordinary job finished before the spinner was written off.
      expect(Math.max(...done.map((j) => j.finishedAt!))).toBeLessThanOrEqual(failed.finishedAt!);
      await server.waitForLine(/job failed job=spin/);
    }, 120_000);
  }

  test("a mode: \"process\" job calling process.exit(3) ends failed after maxStalls (2) with the exit named; the pool keeps processing other jobs", async () => {
    project = makeProject();
    addJob("quit.ts", `import { defineJob } from "qworker";\nexport default defineJob({ name: "quit", mode: "process", async run() { process.exit(3); } });\n`);
    server = startServer(["--admin-port", "0"], { cwd: project.dir, env: { QW_TEST_OUT: project.out } });
    await server.adminUrl();
    const quit = await enqueue("quit");
    const ids = await enqueueRecords(50);
    const failed = await until(quit, "failed", 60_000);
    expect(failed.stalls).toBe(2);
    expect(failed.errors.map((e) => e.message)).toEqual([
      "stalled too many times (3, maxStalls 2): the child process running this try exited with code 3 (process.exit or a crash)",
    ]);
    expect(failed.logs!.filter((l) => l.msg.includes("exited with code 3")).length).toBe(3);
    expect(server.log().match(/job stalled: the thread or process running it died/g)?.length).toBe(2);
    await waitFor(() => runsById(project.out).size === 50, { what: "the 50 other jobs" });
    for (const id of ids) expect(runsById(project.out).get(id)).toBe(1);
    // Still processing after the poison job is gone.
    const after = await enqueue("record");
    await waitFor(() => runsById(project.out).has(after), { what: "a job after the poison one" });
  }, 120_000);

  test("a process-mode job spinning when its server is killed with SIGKILL does not live on: its child process ends within 5 s", async () => {
    project = makeProject();
    addJob(
      "orphan.ts",
      `import { defineJob } from "qworker";
       import { readFileSync, writeFileSync } from "node:fs";
       export default defineJob({ name: "orphan", mode: "process", timeout: "5m", async run() {
         writeFileSync(process.env.QW_TEST_OUT + "/orphan.pid", String(process.pid));
         for (;;) {}
       } });`,
    );
    server = startServer(["--admin-port", "0"], { cwd: project.dir, env: { QW_TEST_OUT: project.out } });
    await server.adminUrl();
    await enqueue("orphan");
    const pid = await waitFor(() => {
      try {
        return Number(readFileSync(join(project.out, "orphan.pid"), "utf8")) || undefined;
      } catch {
        return undefined;
      }
    }, { timeoutMs: 30_000, what: "the spinning job to start in its child process" });
    expect(running(pid)).toBe(true);
    server.kill("SIGKILL");
    await within(server.exited, 10_000, "the killed server to exit");
    server = undefined;
    await waitFor(() => !running(pid), { timeoutMs: 5_000, what: `child process ${pid} to end after its parent was killed` });
  }, 60_000);

  test("a mode: \"thread\" job's progress, log lines, follow-up job and result are all visible in jobs show", async () => {
    project = makeProject();
    addJob(
      "report.ts",
      `import { defineJob, z } from "qworker";
       import { isMainThread } from "node:worker_threads";
       export default defineJob({
         name: "report", mode: "thread", schema: z.object({ account: z.string() }),
         async run({ account }, ctx) {
           ctx.progress(25, "loading");
           ctx.log.info("building report", { account, mainThread: isMainThread });
           const followUp = await ctx.enqueue("email", { to: "ops@example.com", subject: "report for " + account });
           ctx.progress(100, "done");
           ctx.log.warn("sent for review");
           return { account, followUp, rows: 3 };
         },
       });`,
    );
    server = startServer(["--admin-port", "0"], { cwd: project.dir });
    await server.adminUrl();
    const id = await enqueue("report", '{"account":"acme"}');
    const job = await until(id, "completed", 30_000);
    const followUp = (job.result as { followUp: string }).followUp;
    expect(job.result).toEqual({ account: "acme", followUp, rows: 3 });
    expect(job.progress).toEqual({ pct: 100, msg: "done" });
    expect(job.logs!.map((l) => [l.level, l.msg, l.fields])).toEqual([
      ["info", "building report", { account: "acme", mainThread: false }],
      ["warn", "sent for review", undefined],
    ]);
    expect((await until(followUp, "completed", 30_000)).result).toEqual({ sent: "ops@example.com" });
    const text = (await qw(["jobs", "show", id], { cwd: project.dir })).stdout;
    expect(text).toContain("progress:  100% done");
    expect(text).toContain(`result:    {"account":"acme","followUp":"${followUp}","rows":3}`);
    expect(text).toContain('INFO  [try 1] building report {"account":"acme","mainThread":false}');
    expect(text).toContain("WARN  [try 1] sent for review");
    // The process log got the job's lines too, tagged with the job.
    await server.waitForLine(/building report job=report id=\d+ .*mainThread=false/);
  }, 60_000);

  test("an async job that blocks the event loop past its timeout is named in the log while it blocks", async () => {
    project = makeProject();
    addJob("busy.ts", `import { defineJob } from "qworker";\nexport default defineJob({ name: "busy", timeout: "1s", attempts: 1, async run() { const end = Date.now() + 4_000; while (Date.now() < end) {} } });\n`);
    server = startServer(["--admin-port", "0"], { cwd: project.dir });
    await server.adminUrl();
    const id = await enqueue("busy");
    const line = await server.waitForLine(/the event loop has been blocked/, 30_000);
    expect(line).toContain(`busy (id ${id}, timeout 1.0 s`);
    expect(line).toContain('give it mode: "thread" or "process"');
    await server.waitForLine(/the event loop runs again/, 30_000);
  }, 60_000);

  test("run --max-jobs 3 exits 0 after three jobs; with --burst it exits 0 once the queues are empty; 0 is refused with exit 2", async () => {
    project = makeProject();
    const ids = await enqueueRecords(10);
    const three = await qw(["run", "--max-jobs", "3", "--admin-port", "0", "--concurrency", "10"], { cwd: project.dir, env: { QW_TEST_OUT: project.out } });
    expect(three.code, three.stderr).toBe(0);
    expect(runsById(project.out).size).toBe(3);
    const rest = await qw(["run", "--burst", "--max-jobs", "100", "--admin-port", "0"], { cwd: project.dir, env: { QW_TEST_OUT: project.out } });
    expect(rest.code, rest.stderr).toBe(0);
    expect([...runsById(project.out).keys()].sort()).toEqual([...ids].sort());
    const zero = await qw(["run", "--max-jobs", "0", "--admin-port", "0"], { cwd: project.dir });
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain("--max-jobs must be a whole number from 1 to 1000000000, got 0");
    const supervised = await qw(["run", "--max-jobs", "3", "--processes", "2", "--admin-port", "0"], { cwd: project.dir });
    expect(supervised.code).toBe(2);
    expect(supervised.stderr).toContain("drop --processes");
  }, 90_000);

  test('mode: "fast" makes validate and run exit 2 naming the file and the key', async () => {
    project = makeProject();
    addJob("fast.ts", `import { defineJob } from "qworker";\nexport default defineJob({ name: "fast", mode: "fast", run() {} });\n`);
    const expected = 'jobs/fast.ts: `mode` must be "async", "thread", "process" or left out (the server\'s --mode), got "fast"';
    const validate = await qw(["validate"], { cwd: project.dir });
    expect(validate.code).toBe(2);
    expect(validate.stdout + validate.stderr).toContain(expected);
    const run = await qw(["run", "--admin-port", "0"], { cwd: project.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(expected);
  }, 60_000);
});
