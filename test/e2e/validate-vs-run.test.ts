/**
 * What `validate` passes, `run` accepts, and what `validate` refuses, `run`
 * refuses (issue 17): both go through one check (app/preflight.ts). Each
 * case is a project with one flaw, fed to the built binary's `validate` and
 * to `run --burst`; both must exit with the same code, and both must name
 * the same file or field. A sound project is the control: both exit 0.
 */

import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeProject, qw, startServer, type Project } from "../helpers/qworker-binary.ts";
import { waitFor, within } from "../helpers/wait.ts";
import { HOSTILE_SOURCES, writeHostileJobs } from "../helpers/hostile-jobs.ts";

interface Case {
  name: string;
  /** Extra config (merged over a base with a 1 s jobLoadTimeout). */
  config?: Record<string, unknown>;
  /** Files to add to the project's jobs folder. */
  jobs?: Record<string, string>;
  setup?(p: Project): void;
  /** What both outputs must contain; undefined: both exit 0. */
  names?: string;
}

const define = (body: string) => `import { defineJob } from "qworker";\nexport default defineJob({ ${body}, async run() {} });\n`;

const CASES: Case[] = [
  { name: "a sound project (the control)" },
  { name: "a module spinning at top level", jobs: { "spins.ts": HOSTILE_SOURCES["spins.ts"] }, names: "spins.ts" },
  { name: "a module whose top-level await never settles", jobs: { "never-settles.ts": HOSTILE_SOURCES["never-settles.ts"] }, names: "never-settles.ts" },
  { name: "a module calling process.exit(0) while loading", jobs: { "exits.ts": HOSTILE_SOURCES["exits.ts"] }, names: "exits.ts" },
  {
    name: "a broken symlink and a symlink out of the jobs folder",
    setup: (p) => {
      const scratch = join(p.dir, "scratch");
      writeHostileJobs(scratch, join(p.dir, "elsewhere"));
      rmSync(join(scratch, "spins.ts"));
      rmSync(join(scratch, "never-settles.ts"));
      rmSync(join(scratch, "exits.ts"));
      rmSync(p.jobs, { recursive: true });
      // The folder is now the scratch one: fine.ts, broken-link.ts, outside-link.ts.
    },
    config: { jobs: "./scratch" },
    names: "outside the jobs folder",
  },
  { name: "a 7-field cron in the config's schedules", config: { schedules: [{ job: "noop", cron: "* * * * * * *" }] }, names: "schedules[0]" },
  { name: "the timezone Mars/Olympus", config: { schedules: [{ job: "noop", cron: "0 * * * *", timezone: "Mars/Olympus" }] }, names: "Mars/Olympus" },
  { name: "a schedule naming a job that does not exist", config: { schedules: [{ job: "no-such-job", cron: "0 * * * *" }] }, names: "no-such-job" },
  { name: "a job's own 7-field cron", jobs: { "sevenfield.ts": define(`name: "sevenfield", cron: "* * * * * * *"`) }, names: "sevenfield.ts" },
  { name: "a typo'd defineJob option", jobs: { "typo.ts": define(`name: "typo", atempts: 5`) }, names: "atempts" },
  { name: "a mode that does not exist", jobs: { "fast.ts": define(`name: "fast", mode: "fast"`) }, names: "fast.ts" },
  { name: "a job on a queue that is not configured", jobs: { "elsewhere.ts": define(`name: "elsewhere", queue: "nowhere"`) }, names: "nowhere" },
  { name: "two jobs with one name", jobs: { "twin.ts": define(`name: "noop"`) }, names: "twin.ts" },
  { name: "a concurrency.max of 0", jobs: { "capped.ts": define(`name: "capped", concurrency: { max: 0 }`) }, names: "capped.ts: concurrency.max" },
  { name: "a negative rate", jobs: { "negrate.ts": define(`name: "negrate", rateLimit: { max: -5, per: "1s" }`) }, names: "negrate.ts: rateLimit.max" },
  { name: "a rateLimit.per of \"soon\"", jobs: { "soon.ts": define(`name: "soon", rateLimit: { max: 5, per: "soon" }`) }, names: "soon.ts: rateLimit.per" },
  { name: "a queue limit of 0 in the config", config: { queueLimits: { default: { concurrency: { max: 0 } } } }, names: "queueLimits.default.concurrency.max" },
  { name: "a queue limit on a queue that is not configured", config: { queueLimits: { nowhere: { concurrency: { max: 2 } } } }, names: "queueLimits.nowhere" },
  {
    // No server needed: the setup is refused before the store is opened (the URL points at a closed port).
    name: "a per-key concurrency limit on the postgres store, which does not enforce flow control yet",
    config: { store: { backend: "postgres", postgresUrl: "postgres://127.0.0.1:1/none" } },
    jobs: { "limited.ts": define(`name: "limited", concurrency: { max: 2, key: (p: any) => String(p.k) }`) },
    names: "limited.ts: job \"limited\": concurrency is not enforced on the postgres store yet",
  },
  { name: "a lease of 0", config: { worker: { lease: 0 } }, names: "worker.lease" },
  { name: "a lease of 99999999999999999999d", config: { worker: { lease: "99999999999999999999d" } }, names: "worker.lease" },
  { name: "an admin API on 0.0.0.0 without a token", config: { admin: { host: "0.0.0.0" } }, names: "admin.host" },
  { name: "a jobs folder that does not exist", config: { jobs: "./missing-jobs" }, names: "missing-jobs" },
];

const projects: Project[] = [];
afterAll(() => projects.forEach((p) => p.cleanup()));

function project(c: Case): Project {
  const p = makeProject("qw-vvr-");
  projects.push(p);
  mkdirSync(join(p.dir, "config"), { recursive: true });
  for (const [file, source] of Object.entries(c.jobs ?? {})) writeFileSync(join(p.jobs, file), source);
  c.setup?.(p);
  writeFileSync(join(p.dir, "config", "qworker.json"), JSON.stringify({ jobLoadTimeout: "1s", ...c.config }));
  return p;
}

describe("e2e: validate and run refuse exactly the same things", () => {
  for (const c of CASES) {
    test(`${c.name}: validate and run --burst exit alike${c.names ? ` (2) and both name "${c.names}"` : " (0)"}`, async () => {
      const p = project(c);
      const validate = await qw(["validate"], { cwd: p.dir });
      const run = await qw(["run", "--burst", "--admin-port", "0"], { cwd: p.dir });
      const outcome = (r: { code: number; stdout: string; stderr: string }) => ({ code: r.code, names: c.names ? (r.stdout + r.stderr).includes(c.names) : true });
      const expected = { code: c.names ? 2 : 0, names: true };
      expect({ validate: outcome(validate), run: outcome(run) }).toEqual({ validate: expected, run: expected });
    });
  }
});


describe("e2e: a module that never finishes loading", () => {
  test("run stops on SIGTERM during start-up at once: exit 0, nothing left running (asserted within a generous 10 s; the load limit is 60 s)", async () => {
    const p = project({ name: "hang", jobs: { "spins.ts": HOSTILE_SOURCES["spins.ts"] }, config: { jobLoadTimeout: "60s" } });
    const server = startServer(["--admin-port", "0"], { cwd: p.dir });
    try {
      await waitFor(() => server.log().includes("loading job modules"), { what: "start-up to begin loading the job modules" });
      server.kill("SIGTERM");
      expect(await within(server.exited, 10_000, "the server to exit after SIGTERM")).toBe(0);
      expect(server.log()).toContain("stopped during start-up");
    } finally {
      server.kill("SIGKILL");
    }
  });
});
