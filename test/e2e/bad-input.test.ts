/**
 * Every kind of bad input a user can give the binary gets a clear message
 * naming the flag, field or file, exit code 2, and changes nothing.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeProject, qw, type Project } from "../helpers/qworker-binary.ts";

let project: Project;

async function totalJobs(): Promise<number> {
  const r = await qw(["status", "--json"], { cwd: project.dir });
  // No store at all is the strongest "nothing stored": status does not create one (exit 3).
  if (r.code === 3 && r.stderr.includes("no store at")) return 0;
  expect(r.code).toBe(0);
  const report = JSON.parse(r.stdout) as { queues: Record<string, number>[] };
  return report.queues.reduce((sum, q) => sum + q.waiting + q.delayed + q.active + q.completed + q.failed + q.cancelled, 0);
}

async function expectRefused(args: string[], message: string | RegExp, opts: { stdin?: string; cwd?: string } = {}) {
  const r = await qw(args, { cwd: opts.cwd ?? project.dir, stdin: opts.stdin });
  expect(r.code).toBe(2);
  if (typeof message === "string") expect(r.stderr).toContain(message);
  else expect(r.stderr).toMatch(message);
  return r;
}

describe("e2e: bad input is refused with exit 2 and nothing is stored", () => {
  beforeAll(async () => {
    project = makeProject();
    expect(await totalJobs()).toBe(0);
  });

  afterAll(() => project.cleanup());

  test("unknown job name lists the known ones", async () => {
    await expectRefused(["enqueue", "sned-email"], /unknown job "sned-email"; known jobs: .*email/);
  });

  test("payload that is not JSON", async () => {
    await expectRefused(["enqueue", "email", "--data", "{to: a}"], "--data is not valid JSON");
  });

  test("payload that fails the schema names the field", async () => {
    await expectRefused(["enqueue", "email", "--data", '{"to":"not-an-email","subject":1}'], /to: Invalid email address.*subject: Invalid input: expected string/);
  });

  test("--in -5 and --at garbage", async () => {
    await expectRefused(["enqueue", "noop", "--in", "-5"], "--in: must be 0 or more seconds");
    await expectRefused(["enqueue", "noop", "--in", "soon"], "--in");
    await expectRefused(["enqueue", "noop", "--at", "yesterday-ish garbage"], '--at: "yesterday-ish garbage" is not a date');
    await expectRefused(["enqueue", "noop", "--in", "5", "--at", "2030-01-01T00:00:00Z"], "give --in or --at, not both");
  });

  test("unknown flags and commands", async () => {
    await expectRefused(["enqueue", "noop", "--inn", "5"], "Unknown argument: inn");
    await expectRefused(["frobnicate"], "Unknown argument: frobnicate");
  });

  test("a bad --jsonl line is reported by its number and nothing from the file is stored", async () => {
    const file = join(project.dir, "backfill.jsonl");
    writeFileSync(file, ['{"to":"a@b.co","subject":"1"}', "", '{"to":"b@b.co","subject":"2"}', '{"to":"oops","subject":"3"}'].join("\n"));
    await expectRefused(["enqueue", "email", "--jsonl", file], /line 4: .*to: Invalid email address.*nothing was enqueued/);
    writeFileSync(file, '{"to":"a@b.co","subject":"1"}\n{"to": nope}\n');
    await expectRefused(["enqueue", "email", "--jsonl", file], "line 2 is not valid JSON");
    await expectRefused(["enqueue", "email", "--jsonl", "-"], "line 1 is not valid JSON", { stdin: "garbage\n" });
  });

  test("unknown job id", async () => {
    for (const action of ["show", "retry", "cancel", "remove"]) {
      await expectRefused(["jobs", action, "no-such-id"], 'no job with id "no-such-id"');
    }
    await expectRefused(["jobs", "list", "--state", "sleeping"], '--state "sleeping" is not a state');
  });

  test("a config file with a typo'd key or a wrong type names the file and field", async () => {
    const dir = join(project.dir, "cfg");
    mkdirSync(join(dir, "config"), { recursive: true });
    writeFileSync(join(dir, "config/qworker.json"), JSON.stringify({ worker: { concurency: 5 } }));
    await expectRefused(["status"], /config\/qworker\.json: worker: .*unknown key: concurency/, { cwd: dir });
    writeFileSync(join(dir, "config/qworker.json"), JSON.stringify({ worker: { concurrency: "lots" } }));
    await expectRefused(["status"], /config\/qworker\.json: worker\.concurrency: .*expected number/, { cwd: dir });
    writeFileSync(join(dir, "config/qworker.json"), "{ not json");
    await expectRefused(["status"], "is not valid JSON", { cwd: dir });
    await expectRefused(["status", "--config", "missing.json"], /missing\.json does not exist \(from --config\)/, { cwd: dir });
    await expectRefused(["status", "--concurrency", "x"], "Unknown argument: concurrency", { cwd: project.dir });
    const env = await qw(["run", "--burst", "--admin-port", "0"], { cwd: project.dir, env: { QWORKER_CONCURRENCY: "many" } });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('env QWORKER_CONCURRENCY: "many" is not a number');
  });

  test("a jobs folder with a syntax error, a missing default export and a duplicate name", async () => {
    const dir = join(project.dir, "badjobs");
    mkdirSync(join(dir, "jobs"), { recursive: true });
    writeFileSync(join(dir, "jobs/broken.ts"), 'import { defineJob } from "qworker";\nexport default defineJob({ run( { );\n');
    writeFileSync(join(dir, "jobs/no-default.ts"), "export const x = 1;\n");
    writeFileSync(join(dir, "jobs/one.ts"), 'import { defineJob } from "qworker";\nexport default defineJob({ name: "same", run() {} });\n');
    writeFileSync(join(dir, "jobs/two.ts"), 'import { defineJob } from "qworker";\nexport default defineJob({ name: "same", run() {} });\n');
    writeFileSync(join(dir, "jobs/bad-cron.ts"), 'import { defineJob } from "qworker";\nexport default defineJob({ cron: "61 * * * *", run() {} });\n');
    writeFileSync(join(dir, "jobs/bad-queue.ts"), 'import { defineJob } from "qworker";\nexport default defineJob({ queue: "urgent", run() {} });\n');
    const r = await expectRefused(["validate"], "problem(s) with the job modules or config", { cwd: dir });
    expect(r.stderr).toMatch(/broken\.ts: failed to load: line 2:\d+: /);
    expect(r.stderr).toContain("no-default.ts: has no default export");
    expect(r.stderr).toMatch(/two\.ts: job name "same" is already used by .*one\.ts/);
    expect(r.stderr).toMatch(/bad-cron\.ts: cron "61 \* \* \* \*" is invalid/);
    expect(r.stderr).toContain('bad-queue.ts: queue "urgent" is not configured');
    const run = await expectRefused(["run", "--admin-port", "0"], "problem(s) with the job modules or config", { cwd: dir });
    expect(run.stderr).not.toContain("qworker ready");
  });

  test("a job module with `atempts: 5`: validate and run exit 2 naming the file, `atempts` and `attempts`", async () => {
    const dir = join(project.dir, "typojobs");
    mkdirSync(join(dir, "jobs"), { recursive: true });
    writeFileSync(join(dir, "jobs/resize.ts"), 'import { defineJob } from "qworker";\nexport default defineJob({ atempts: 5, run() {} });\n');
    const validate = await expectRefused(["validate"], "problem(s) with the job modules or config", { cwd: dir });
    expect(validate.stderr).toMatch(/jobs\/resize\.ts: unknown option `atempts` .*did you mean `attempts`\?/);
    const run = await expectRefused(["run", "--admin-port", "0"], /jobs\/resize\.ts: unknown option `atempts` .*did you mean `attempts`\?/, { cwd: dir });
    expect(run.stderr).not.toContain("qworker ready");
  });

  test("after all of that, nothing was stored", async () => {
    expect(await totalJobs()).toBe(0);
  });
});
