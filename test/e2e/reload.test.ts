/**
 * Reloading job code in place: SIGHUP (systemctl reload) and `run --watch`.
 * A running job finishes on the code it started with, new jobs run the new
 * code, a broken edit leaves the old code serving (and /health says so),
 * and every job enqueued across three reloads runs exactly once. With
 * --watch a job file added while running is picked up without a restart.
 */

import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeProject, qw, startServer, type Project, type Server } from "../helpers/qworker-binary.ts";
import { runsById } from "../helpers/run-log.ts";
import { fetchWithin, waitFor, within } from "../helpers/wait.ts";

let project: Project | undefined;
let server: Server | undefined;
afterEach(async () => {
  server?.kill("SIGKILL");
  await server?.exited;
  project?.cleanup();
  project = server = undefined;
});

const versioned = (version: string) => `import { defineJob, z } from "qworker";
export default defineJob({
  name: "versioned",
  schema: z.object({ holdMs: z.number().int().default(0) }),
  async run({ holdMs }) {
    await new Promise((r) => setTimeout(r, holdMs));
    return { version: ${JSON.stringify(version)} };
  },
});
`;

async function enqueue(p: Project, name: string, data: unknown = {}): Promise<string> {
  const r = await qw(["enqueue", name, "--data", JSON.stringify(data), "--json"], { cwd: p.dir });
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout).id;
}

async function finished(p: Project, id: string): Promise<{ state: string; result: unknown }> {
  return waitFor(
    async () => {
      const job = JSON.parse((await qw(["jobs", "show", id, "--json"], { cwd: p.dir })).stdout);
      return job.state === "completed" || job.state === "failed" ? job : undefined;
    },
    { timeoutMs: 30_000, what: `job ${id} to finish` },
  );
}

async function reloadWith(s: Server, before: number): Promise<string> {
  s.kill("SIGHUP");
  return waitFor(() => s.log().split("\n").filter((l) => /reloaded job modules|reload refused/.test(l)).slice(before)[0], { timeoutMs: 20_000, what: "the reload to finish" });
}

function reloadsSoFar(s: Server): number {
  return s.log().split("\n").filter((l) => /reloaded job modules|reload refused/.test(l)).length;
}

describe("e2e: reloading job code in place", () => {
  for (const mode of ["thread", "process"] as const) {
    test(`SIGHUP reaches a ${mode}-mode job: the ${mode} that ran v1 runs v2 after the reload`, async () => {
      project = makeProject(`qw-reload-${mode}-`);
      const p = project;
      const source = (v: string) => versioned(v).replace('name: "versioned",', `name: "versioned", mode: "${mode}",`);
      writeFileSync(join(p.jobs, "versioned.ts"), source("v1"));
      // One host, so the second job surely lands where v1 was loaded.
      server = startServer(["--admin-port", "0", "--concurrency", "1"], { cwd: p.dir });
      await server.adminUrl();
      const first = await enqueue(p, "versioned");
      expect((await finished(p, first)).result).toEqual({ version: "v1" });
      writeFileSync(join(p.jobs, "versioned.ts"), source("v2"));
      expect(await reloadWith(server, reloadsSoFar(server))).toContain("reloaded job modules");
      const second = await enqueue(p, "versioned");
      expect((await finished(p, second)).result).toEqual({ version: "v2" });
    });
  }

  test("SIGHUP: a running job finishes on the old code, new jobs run the new code, a broken edit leaves the old code serving", async () => {
    project = makeProject("qw-reload-");
    const p = project;
    writeFileSync(join(p.jobs, "versioned.ts"), versioned("v1"));
    server = startServer(["--admin-port", "0"], { cwd: p.dir });
    const url = await server.adminUrl();

    const long = await enqueue(p, "versioned", { holdMs: 2_000 });
    await waitFor(async () => JSON.parse((await qw(["jobs", "show", long, "--json"], { cwd: p.dir })).stdout).state === "active", { what: "the long job to start" });
    writeFileSync(join(p.jobs, "versioned.ts"), versioned("v2"));
    expect(await reloadWith(server, reloadsSoFar(server))).toContain("reloaded job modules");
    const fresh = await enqueue(p, "versioned");
    expect((await finished(p, fresh)).result).toEqual({ version: "v2" });
    expect((await finished(p, long)).result).toEqual({ version: "v1" });

    writeFileSync(join(p.jobs, "versioned.ts"), "export default defineJob({ this is not typescript");
    expect(await reloadWith(server, reloadsSoFar(server))).toContain("reload refused");
    const health = await (await fetchWithin(`${url}/health`)).json();
    expect(health).toMatchObject({ status: "ok", reload: { ok: false } });
    expect(JSON.stringify(health.reload.problems)).toContain("versioned.ts");
    // The CLI loads modules itself: with the broken file it refuses, so the last good code is checked through the API.
    const res = await fetchWithin(`${url}/api/jobs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "versioned" }) });
    expect(res.status).toBe(201);
    const { id } = await res.json();
    expect((await finished(p, id)).result).toEqual({ version: "v2" });
  }, 120_000);

  test("every job enqueued across three reloads runs exactly once", async () => {
    project = makeProject("qw-reload-");
    const p = project;
    server = startServer(["--admin-port", "0", "--concurrency", "8"], { cwd: p.dir, env: { QW_TEST_OUT: p.out } });
    await server.adminUrl();
    const ids: string[] = [];
    const file = join(p.dir, "batch.jsonl");
    writeFileSync(file, Array.from({ length: 100 }, (_, i) => JSON.stringify({ n: i, sleepMs: 5 })).join("\n"));
    for (let round = 0; round < 3; round++) {
      const r = await qw(["enqueue", "record", "--jsonl", file, "--json"], { cwd: p.dir });
      expect(r.code).toBe(0);
      ids.push(...JSON.parse(r.stdout).ids);
      await reloadWith(server, reloadsSoFar(server));
    }
    await waitFor(() => runsById(p.out).size === ids.length, { timeoutMs: 60_000, what: "all 300 jobs to run" });
    const runs = runsById(p.out);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    expect(new Set([...runs.keys()])).toEqual(new Set(ids));
  }, 120_000);

  test("--watch: a job file added while running is loaded without a restart, and its jobs run", async () => {
    project = makeProject("qw-reload-");
    const p = project;
    mkdirSync(join(p.dir, "config"), { recursive: true });
    server = startServer(["--admin-port", "0", "--watch"], { cwd: p.dir });
    await server.adminUrl();
    await server.waitForLine(/watching for changes/);
    const before = reloadsSoFar(server);
    writeFileSync(join(p.jobs, "brand-new.ts"), 'import { defineJob } from "qworker";\nexport default defineJob({ async run() { return "new"; } });\n');
    await waitFor(() => reloadsSoFar(server!) > before, { timeoutMs: 20_000, what: "the watcher's reload" });
    const id = await enqueue(p, "brand-new");
    expect(await within(finished(p, id), 30_000, "the new job")).toMatchObject({ state: "completed", result: "new" });
  }, 120_000);
});
