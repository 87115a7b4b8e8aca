/**
 * A new user's job never waits in silence: `enqueue --wait` says within 2 s
 * when no running worker can run the job, and `--timeout` ends the wait
 * with exit 3. A job whose name the running worker has not loaded (a job
 * file added after `run` started) is not failed and spends no attempt: it
 * waits for a worker that has it.
 */

import { afterEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeProject, qw, startServer, type Project, type Server } from "../helpers/qworker-binary.ts";

let project: Project | undefined;
let server: Server | undefined;
afterEach(async () => {
  server?.kill("SIGKILL");
  await server?.exited;
  project?.cleanup();
  project = server = undefined;
});

describe("e2e: no silent waits", () => {
  test("enqueue --wait with no worker running says so on stderr before its 3 s --timeout (it looks at 1.5 s), then exits 3", async () => {
    project = makeProject("qw-wait-");
    const t0 = performance.now();
    const r = await qw(["enqueue", "noop", "--wait", "--timeout", "3"], { cwd: project.dir });
    const took = performance.now() - t0;
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("no worker is running; start one with `qworker run`");
    expect(r.stderr).toMatch(/job \d+ is still waiting after 3\.0s; it stays enqueued/);
    expect(took).toBeLessThan(15_000);
    // The notice came about 1.5 s in, well before the 3 s timeout: it is the line before the timeout's.
    const lines = r.stderr.split("\n");
    expect(lines.findIndex((l) => l.includes("no worker is running"))).toBeLessThan(lines.findIndex((l) => l.includes("still waiting after")));
  });

  test("a job the running worker has not loaded waits, spends no attempt, and says why", async () => {
    project = makeProject("qw-wait-");
    const p = project;
    server = startServer(["--admin-port", "0"], { cwd: p.dir });
    await server.adminUrl();
    // Added after the worker loaded its jobs: the CLI knows it, the running worker does not.
    writeFileSync(join(p.jobs, "late.ts"), 'import { defineJob } from "qworker";\nexport default defineJob({ name: "late", async run() { return "ran"; } });\n');
    const r = await qw(["enqueue", "late", "--wait", "--timeout", "4"], { cwd: p.dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("no running worker has job `late` loaded");
    const id = /job (\d+) is still waiting/.exec(r.stderr)?.[1];
    expect(id).toBeDefined();
    const show = await qw(["jobs", "show", id!, "--json"], { cwd: p.dir });
    expect(JSON.parse(show.stdout)).toMatchObject({ state: "waiting", attemptsMade: 0, errors: [] });
    const text = await qw(["jobs", "show", id!], { cwd: p.dir });
    expect(text.stdout).toContain("state:     waiting (no running worker has job `late` loaded)");
  });
});
