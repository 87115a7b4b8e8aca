/**
 * A dead worker is noticed by its heartbeat, not its leases: with the
 * defaults (a beat every 2 s, dead after 3 missed, the rescuer every 2 s)
 * a kill -9'd worker's running jobs run again within 10 s, where they used
 * to wait out a 30 s lease. And a worker that was only slow (stopped, then
 * continued) cannot record its late outcome over the run that replaced it.
 */

import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeProject, qw, startServer, type Project, type Server } from "../helpers/qworker-binary.ts";
import { readStamps } from "../helpers/stamps.ts";
import { waitFor, within } from "../helpers/wait.ts";

let project: Project | undefined;
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.proc.kill("SIGCONT");
    s.kill("SIGKILL");
    await s.exited;
  }
  project?.cleanup();
  project = undefined;
});

function start(p: Project, args: string[]): Server {
  const s = startServer(["--admin-port", "0", ...args], { cwd: p.dir, env: { QW_TEST_OUT: p.out } });
  servers.push(s);
  return s;
}

/** Stamps written by one process. */
function stampsOf(p: Project, pid: number): string[] {
  try {
    return readFileSync(join(p.out, `stamp-${pid}.txt`), "utf8").split("\n").filter(Boolean).map((l) => l.split(" ")[0]);
  } catch {
    return [];
  }
}

function setUp(): Project {
  const p = makeProject("qw-dead-");
  mkdirSync(join(p.dir, "config"));
  // Defaults for heartbeat, rescue and leases: only retention is kept wide for counting.
  writeFileSync(join(p.dir, "config/qworker.json"), JSON.stringify({ retention: { completedMaxCount: 100_000 } }));
  return p;
}

describe("e2e: dead and slow workers on one SQLite file, default timings", () => {
  test("kill -9 a worker: its running jobs run again on the other worker within 10 s (heartbeat 2 s x 3 + rescue every 2 s)", async () => {
    project = setUp();
    const p = project;
    start(p, ["--role", "scheduler"]);
    const a = start(p, ["--role", "worker", "--concurrency", "4"]);
    await a.waitForLine(/qworker ready/);
    const enq = await qw(["enqueue", "hold", "--data", JSON.stringify({ holdMs: 120_000 }), "--json"], { cwd: p.dir });
    const ids = [JSON.parse(enq.stdout).id];
    for (let i = 0; i < 3; i++) ids.push(JSON.parse((await qw(["enqueue", "hold", "--data", JSON.stringify({ holdMs: 120_000 }), "--json"], { cwd: p.dir })).stdout).id);
    await waitFor(() => stampsOf(p, a.proc.pid).length === 4, { timeoutMs: 30_000, what: "worker a to start all four jobs" });
    const b = start(p, ["--role", "worker", "--concurrency", "4"]);
    await b.waitForLine(/qworker ready/);

    const killedAt = Date.now();
    a.kill("SIGKILL");
    await within(a.exited, 10_000, "worker a to die");
    // At least four: a fifth start would be a job run twice, which the exact comparison below reports.
    await waitFor(() => stampsOf(p, b.proc.pid).length >= 4, { timeoutMs: 30_000, what: "worker b to start the four jobs again" }).catch(async (err: Error) => {
      const status = await qw(["jobs", "list", "--json"], { cwd: p.dir });
      throw new Error(`${err.message}\nstarted on b: ${stampsOf(p, b.proc.pid).join(", ") || "none"}\njobs: ${status.stdout.slice(0, 2_000)}\nworker b's log:\n${b.log().slice(-3_000)}`);
    });
    const restarted = readStamps(p.out).filter((s) => stampsOf(p, b.proc.pid).includes(s.id) && s.at >= killedAt);
    expect(restarted.map((s) => s.id).sort()).toEqual([...ids].sort());
    for (const s of restarted) expect(s.at - killedAt).toBeLessThan(10_000);
    const status = JSON.parse((await qw(["status", "--json"], { cwd: p.dir })).stdout);
    const dead = status.workers.find((w: { pid: number }) => w.pid === a.proc.pid);
    expect(dead).toMatchObject({ alive: false });
  }, 120_000);

  test("a worker stopped (SIGSTOP) past its heartbeat loses its job to another; continued, its late outcome does not land", async () => {
    project = setUp();
    const p = project;
    start(p, ["--role", "scheduler"]);
    const slow = start(p, ["--role", "worker", "--concurrency", "1"]);
    await slow.waitForLine(/qworker ready/);
    const { id } = JSON.parse((await qw(["enqueue", "hold", "--data", JSON.stringify({ holdMs: 3_000 }), "--json"], { cwd: p.dir })).stdout);
    await waitFor(() => stampsOf(p, slow.proc.pid).includes(id), { timeoutMs: 30_000, what: "the slow worker to start the job" });
    slow.proc.kill("SIGSTOP");
    const other = start(p, ["--role", "worker", "--concurrency", "1"]);
    await waitFor(() => stampsOf(p, other.proc.pid).includes(id), { timeoutMs: 30_000, what: "the other worker to run the job again" });
    slow.proc.kill("SIGCONT");
    const done = await waitFor(
      async () => {
        const job = JSON.parse((await qw(["jobs", "show", id, "--json"], { cwd: p.dir })).stdout);
        return job.state === "completed" ? job : undefined;
      },
      { timeoutMs: 30_000, what: "the job to complete" },
    );
    // The slow worker woke up holding a lease that is no longer its own: the recorded result is the other worker's.
    await slow.waitForLine(/lease lost|job completed|could not/, 15_000).catch(() => "");
    const again = JSON.parse((await qw(["jobs", "show", id, "--json"], { cwd: p.dir })).stdout);
    expect(done.result).toEqual({ pid: other.proc.pid });
    expect(again.result).toEqual({ pid: other.proc.pid });
    expect(again.attemptsMade).toBe(1);
  }, 120_000);
});
