/**
 * The memory store through the binary (the CLI reaches its jobs over the
 * running server's admin API), and a 100,000-line JSON-lines backfill.
 */

import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeProject, qw, startServer, type Project } from "../helpers/qworker-binary.ts";
import { within } from "../helpers/wait.ts";

const projects: Project[] = [];
afterAll(() => projects.forEach((p) => p.cleanup()));

describe("e2e: memory store over the admin API", () => {
  test("enqueue --wait, status and jobs show reach the server's jobs; bad payloads are refused by it", async () => {
    const project = makeProject();
    projects.push(project);
    // Port 0: the server picks a free port; the CLI is pointed at it afterwards (never a fixed port).
    const server = startServer(["--admin-port", "0"], { cwd: project.dir, env: { QWORKER_BACKEND: "memory" } });
    let env: Record<string, string> = { QWORKER_BACKEND: "memory" };
    try {
      const port = new URL(await server.adminUrl()).port;
      env = { QWORKER_BACKEND: "memory", QWORKER_ADMIN_PORT: port };
      expect(server.log()).toContain("everything is lost when it exits");
      const r = await qw(["enqueue", "email", "--data", '{"to":"a@b.co","subject":"hi"}', "--wait", "--json"], { cwd: project.dir, env });
      expect(r.code).toBe(0);
      const job = JSON.parse(r.stdout);
      expect(job).toMatchObject({ state: "completed", result: { sent: "a@b.co" }, queue: "critical" });
      const show = await qw(["jobs", "show", job.id, "--json"], { cwd: project.dir, env });
      expect(JSON.parse(show.stdout).id).toBe(job.id);
      const status = JSON.parse((await qw(["status", "--json"], { cwd: project.dir, env })).stdout);
      expect(status.store.backend).toBe("memory");
      expect(status.queues.find((q: { queue: string }) => q.queue === "critical").completed).toBe(1);
      const bad = await qw(["enqueue", "email", "--data", '{"to":"x"}'], { cwd: project.dir, env });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("to: Invalid email address");
    } finally {
      server.kill("SIGTERM");
      expect(await within(server.exited, 30_000)).toBe(0);
    }
    const down = await qw(["status"], { cwd: project.dir, env });
    expect(down.code).toBe(3);
    expect(down.stderr).toContain("cannot reach the qworker admin API");
  }, 60_000);
});

describe("e2e: backfill", () => {
  test("enqueue --jsonl stores 100,000 lines in one command, within a generous 60 s", async () => {
    const project = makeProject();
    projects.push(project);
    const file = join(project.dir, "big.jsonl");
    writeFileSync(file, Array.from({ length: 100_000 }, (_, i) => `{"n":${i}}`).join("\n") + "\n");
    // Ten times the default limits.maxBulkJobs (10,000): the command sends it in batches.
    const started = performance.now();
    const r = await qw(["enqueue", "record", "--jsonl", file], { cwd: project.dir, timeoutMs: 120_000 });
    const seconds = (performance.now() - started) / 1000;
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("enqueued 100000 job(s)\n");
    // Generous bound for a shared machine; the README quotes the time printed here.
    console.log(`enqueue --jsonl of 100,000 lines, process start included: ${seconds.toFixed(1)} s`);
    expect(seconds).toBeLessThan(60);
    const status = JSON.parse((await qw(["status", "--json"], { cwd: project.dir })).stdout);
    expect(status.queues.find((q: { queue: string }) => q.queue === "default").waiting).toBe(100_000);
  }, 120_000);
});
