/**
 * No run without a place for its outcome: a SQLite store on a small file
 * system that fills up mid-drain. Once writes fail, the worker stops
 * claiming (at most the jobs in flight still run), /health answers 503
 * naming the failing check, and when space comes back it resumes by itself:
 * every job completes, and none ran twice.
 */

import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeProject, qw, startServer, type Project, type Server } from "../helpers/qworker-binary.ts";
import { skipBecause } from "../helpers/requirements.ts";
import { readStamps } from "../helpers/stamps.ts";
import { fetchWithin, waitFor, within } from "../helpers/wait.ts";

const isRoot = process.getuid?.() === 0;
const JOBS = 600;
const CONCURRENCY = 5;

let project: Project | undefined;
let server: Server | undefined;
afterEach(async () => {
  server?.kill("SIGKILL");
  await server?.exited;
  if (project) Bun.spawnSync(["umount", "-l", join(project.dir, "data")], { stderr: "ignore" });
  project?.cleanup();
  project = server = undefined;
});

async function healthStatus(url: string): Promise<number> {
  return (await fetchWithin(`${url}/health`, {}, 5_000)).status;
}

describe("e2e: the disk under a SQLite store fills up mid-drain", () => {
  test.skipIf(!isRoot && skipBecause("mounting a file system needs root"))(
    "claims stop (at most the jobs in flight run on), /health 503 then 200, every job completes once after space comes back",
    async () => {
      project = makeProject("qw-full-");
      const p = project;
      const data = join(p.dir, "data");
      mkdirSync(data, { recursive: true });
      expect(Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", data]).exitCode).toBe(0);
      mkdirSync(join(p.dir, "config"));
      writeFileSync(join(p.dir, "config/qworker.json"), JSON.stringify({ retention: { completedMaxCount: 1_000_000 } }));
      writeFileSync(join(p.dir, "b.jsonl"), Array.from({ length: JOBS }, () => "{}").join("\n"));
      expect((await qw(["enqueue", "big-result", "--jsonl", "b.jsonl"], { cwd: p.dir })).code).toBe(0);
      // About 2.5 MB left: some hundred 8 KB results fit, then every write fails.
      writeFileSync(join(data, "filler"), Buffer.alloc(13 * 1024 * 1024));

      server = startServer(["--admin-port", "0", "--concurrency", String(CONCURRENCY)], { cwd: p.dir, env: { QW_TEST_OUT: p.out } });
      const url = await server.adminUrl();
      const refused = await server.waitForLine(/the store refuses claims or outcome writes/, 60_000);
      expect(refused).toContain("database or disk is full");
      const runsAtFailure = readStamps(p.out).length;
      expect(runsAtFailure).toBeLessThan(JOBS);
      await waitFor(async () => (await healthStatus(url)) === 503, { timeoutMs: 10_000, what: "/health to answer 503" });
      const body = await (await fetchWithin(`${url}/health`, {}, 5_000)).json();
      expect(body).toMatchObject({ status: "degraded" });
      expect(String(body.failing)).toContain("database or disk is full");
      // While the disk is full only the jobs already running may finish: no new claim succeeds.
      await new Promise((r) => setTimeout(r, 1_500)); // an absence can only be observed over a window
      expect(readStamps(p.out).length - runsAtFailure).toBeLessThanOrEqual(CONCURRENCY);

      rmSync(join(data, "filler"));
      await server.waitForLine(/the store takes writes again; claiming resumed/, 30_000);
      await waitFor(() => readStamps(p.out).length >= JOBS, { timeoutMs: 60_000, what: "every job to run" });
      await waitFor(async () => (await healthStatus(url)) === 200, { timeoutMs: 10_000, what: "/health back to 200" });
      server.kill("SIGTERM");
      expect(await within(server.exited, 30_000, "a graceful stop")).toBe(0);
      const stamps = readStamps(p.out);
      const ids = new Set(stamps.map((s) => s.id));
      expect(ids.size).toBe(JOBS);
      // Duplicates could only come from jobs in flight when writes failed; the outcomes waited in the outbox, so none.
      expect(stamps.length - ids.size).toBeLessThanOrEqual(CONCURRENCY);
      const status = JSON.parse((await qw(["status", "--json"], { cwd: p.dir })).stdout);
      expect(status.queues.find((q: { queue: string }) => q.queue === "default").completed).toBe(JOBS);
    },
    120_000,
  );
});
