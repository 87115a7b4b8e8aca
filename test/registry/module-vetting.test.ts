/**
 * Loading job modules is bounded and loud (issue 17): a module that spins
 * or never settles while loading is named after the load timeout, one that
 * calls process.exit is named instead of ending the process, and broken or
 * outside symlinks are listed problems, not stacks. The good module next to
 * them still loads.
 */

import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
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
