/**
 * Error classes keep their names in the compiled binary (issue 18, item 8:
 * the bundler once printed `UnknownJobError2`): what the CLI prints, and
 * what a job's stored errors say, name the real class.
 */

import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeProject, qw, startServer, type Project, type Server } from "../helpers/qworker-binary.ts";
import { waitFor } from "../helpers/wait.ts";

let project: Project;
let server: Server | undefined;
afterAll(async () => {
  server?.kill("SIGKILL");
  await server?.exited;
  project?.cleanup();
});

describe("e2e: error names in the compiled binary", () => {
  test("a job's stored errors name Unrecoverable and TimedOut; the CLI's refusals print no bundler-renamed class", async () => {
    project = makeProject("qw-error-names-");
    writeFileSync(
      join(project.jobs, "fails-hard.ts"),
      `import { defineJob, Unrecoverable } from "qworker";\nexport default defineJob({ async run() { throw new Unrecoverable("bad input"); } });\n`,
    );
    writeFileSync(join(project.jobs, "too-slow.ts"), `import { defineJob } from "qworker";\nexport default defineJob({ attempts: 1, timeout: "200ms", async run(_p, ctx) { await new Promise((r) => ctx.signal.addEventListener("abort", r)); throw ctx.signal.reason; } });\n`);
    server = startServer(["--admin-port", "0"], { cwd: project.dir });
    await server.adminUrl();
    const ids: string[] = [];
    for (const job of ["fails-hard", "too-slow"]) ids.push(JSON.parse((await qw(["enqueue", job, "--json"], { cwd: project.dir })).stdout).id);
    const names = await Promise.all(
      ids.map((id) =>
        waitFor(
          async () => {
            const job = JSON.parse((await qw(["jobs", "show", id, "--json"], { cwd: project.dir })).stdout);
            return job.state === "failed" ? job.errors.at(-1).name : undefined;
          },
          { what: `job ${id} to fail`, timeoutMs: 30_000 },
        ),
      ),
    );
    expect(names).toEqual(["Unrecoverable", "TimedOut"]);
    for (const args of [["enqueue", "no-such-job"], ["enqueue", "email", "--data", '{"to":1}'], ["jobs", "show", "999999"]]) {
      const r = await qw(args, { cwd: project.dir });
      expect(r.code).toBe(2);
      expect(r.stderr).not.toMatch(/[A-Za-z]Error\d|Unrecoverable\d|\$\d/);
    }
  });
});
