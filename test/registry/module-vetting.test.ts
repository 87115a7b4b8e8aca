/**
 * Loading job modules is bounded and loud (issue 17): a module that spins
 * or never settles while loading is named after the load timeout, one that
 * calls process.exit is named instead of ending the process, and broken or
 * outside symlinks are listed problems, not stacks. The good module next to
 * them still loads.
 */

import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "../../src/registry/registry.ts";
import { writeHostileJobs } from "../helpers/hostile-jobs.ts";

const root = mkdtempSync(join(tmpdir(), "qw-vet-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("job module loading is bounded and loud", () => {
  test("spinning, never-settling and exiting modules, a broken and an outside symlink: each is a named problem; the good module loads (1 s load timeout; the whole load is asserted under a generous 20 s)", async () => {
    const jobs = join(root, "jobs");
    writeHostileJobs(jobs, join(root, "elsewhere"));
    const t0 = performance.now();
    const registry = await Registry.load({ dir: jobs, queues: ["default"], loadTimeoutMs: 1_000 });
    expect(performance.now() - t0).toBeLessThan(20_000);
    const reasons = Object.fromEntries(registry.problems.map((p) => [p.file.split("/").pop(), p.reason]));
    expect(reasons["spins.ts"]).toContain("did not finish loading within 1.0s");
    expect(reasons["never-settles.ts"]).toContain("did not finish loading within 1.0s");
    expect(reasons["exits.ts"]).toContain("called process.exit(0) while loading");
    expect(reasons["broken-link.ts"]).toContain("is a symlink to");
    expect(reasons["broken-link.ts"]).toContain("which does not exist");
    expect(reasons["outside-link.ts"]).toContain("outside the jobs folder");
    expect(Object.keys(reasons).sort()).toEqual(["broken-link.ts", "exits.ts", "never-settles.ts", "outside-link.ts", "spins.ts"]);
    expect(registry.names()).toEqual(["fine"]);
    // This process is still here and its event loop turns: the modules ran in a thread that was thrown away.
    await new Promise((r) => setTimeout(r, 1));
  });
});

describe("a job file's syntax error names the file, the line and the column", () => {
  test("end of file, a duplicate declaration, await outside async, a bad expression, and an error inside an imported helper (which is named); a bad regular expression gets its line (JavaScriptCore gives no column)", async () => {
    const jobs = join(root, "syntax");
    mkdirSync(jobs, { recursive: true });
    const head = 'import { defineJob } from "qworker";\n';
    const files: Record<string, string> = {
      "a-eof.ts": `${head}export default defineJob({ async run() {}\n`,
      "b-dup.ts": `${head}let a = 1;\nlet a = 2;\nexport default defineJob({ async run() {} });\n`,
      "c-await.ts": `${head}function f() { await 1; }\nexport default defineJob({ async run() {} });\n`,
      "d-expr.ts": `${head}export default defineJob({ async run() { return 1 +; } });\n`,
      "_helper.ts": "export const x = ;\n",
      "e-import.ts": `${head}import { x } from "./_helper.ts";\nexport default defineJob({ async run() { return x; } });\n`,
      "f-regex.ts": `${head}const r = /(/;\nexport default defineJob({ async run() { return r.source; } });\n`,
    };
    for (const [file, text] of Object.entries(files)) writeFileSync(join(jobs, file), text);
    const registry = await Registry.load({ dir: jobs, queues: ["default"] });
    const reasons = Object.fromEntries(registry.problems.map((p) => [p.file.split("/").pop(), p.reason]));
    expect(reasons["a-eof.ts"]).toMatch(/^failed to load: line 2:\d+: Expected "\}" but found end of file/);
    expect(reasons["b-dup.ts"]).toMatch(/^failed to load: line 3:\d+: "a" has already been declared/);
    expect(reasons["c-await.ts"]).toMatch(/^failed to load: line 2:\d+: "await" can only be used inside an "async" function/);
    expect(reasons["d-expr.ts"]).toMatch(/^failed to load: line 2:\d+: Unexpected ;/);
    expect(reasons["e-import.ts"]).toMatch(/^failed to load: .*_helper\.ts line 1:\d+: Unexpected ;/);
    expect(reasons["f-regex.ts"]).toMatch(/^failed to load: line 2: Invalid regular expression/);
  });
});
