/**
 * Job modules as users write them, loaded by the compiled binary from a
 * folder with no qworker installed: the "qworker" import is served by the
 * binary, and a job's own packages come from a node_modules beside it.
 */

import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { qw } from "../helpers/qworker-binary.ts";

const dir = mkdtempSync(join(tmpdir(), "qw-modules-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("e2e: job modules", () => {
  test("jobs load with their own node_modules package and zod from qworker; their schemas validate enqueues", async () => {
    mkdirSync(join(dir, "jobs/node_modules/slugify-lite"), { recursive: true });
    writeFileSync(join(dir, "jobs/node_modules/slugify-lite/package.json"), JSON.stringify({ name: "slugify-lite", version: "1.0.0", type: "module", main: "index.js" }));
    writeFileSync(join(dir, "jobs/node_modules/slugify-lite/index.js"), "export default (s) => s.toLowerCase().trim().replace(/[^a-z0-9]+/g, '-');\n");
    writeFileSync(
      join(dir, "jobs/slug.ts"),
      `import { defineJob, z } from "qworker";
       import slugify from "slugify-lite";
       export default defineJob({
         schema: z.object({ title: z.string().min(1) }),
         async run({ title }: { title: string }) { return { slug: slugify(title) }; },
       });`,
    );
    writeFileSync(join(dir, "jobs/plain.js"), `import { defineJob } from "qworker";\nexport default defineJob({ name: "plain-js", run: () => "js ok" });\n`);

    const validate = await qw(["validate", "--json"], { cwd: dir });
    expect(validate.code).toBe(0);
    const report = JSON.parse(validate.stdout);
    expect(report.jobs.map((j: { name: string }) => j.name).sort()).toEqual(["plain-js", "slug"]);
    expect(report.problems).toEqual([]);
    const bad = await qw(["enqueue", "slug", "--data", '{"title":""}'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("title: Too small");
  }, 60_000);

  test("a burst worker runs both jobs from the compiled binary", async () => {
    const slug = (await qw(["enqueue", "slug", "--data", '{"title":"Hello World, Again"}'], { cwd: dir })).stdout.trim();
    const plain = (await qw(["enqueue", "plain-js"], { cwd: dir })).stdout.trim();
    const run = await qw(["run", "--burst", "--admin-port", "0"], { cwd: dir });
    expect(run.code).toBe(0);
    const a = JSON.parse((await qw(["jobs", "show", slug, "--json"], { cwd: dir })).stdout);
    const b = JSON.parse((await qw(["jobs", "show", plain, "--json"], { cwd: dir })).stdout);
    expect(a).toMatchObject({ state: "completed", result: { slug: "hello-world-again" } });
    expect(b).toMatchObject({ state: "completed", result: "js ok" });
  }, 60_000);
});
