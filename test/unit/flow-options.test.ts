/**
 * Flow options become data on the job record at enqueue (issue 20): the key
 * functions run where the payload schema is checked, keys are scoped by job
 * (or queue) and bounded, and the config's queue limits are checked like
 * every other setting.
 */

import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configSchema } from "../../src/config/schema.ts";
import { UsageError } from "../../src/core/errors.ts";
import { buildNewJob } from "../../src/registry/enqueue-request.ts";
import { Registry } from "../../src/registry/registry.ts";

const QUEUES = ["critical", "default", "low"];
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function registryWith(spec: string, queueLimits = {}): Promise<Registry> {
  const dir = mkdtempSync(join(tmpdir(), "qw-flow-options-"));
  dirs.push(dir);
  writeFileSync(join(dir, "sync.ts"), `import { defineJob, z } from "qworker";\nexport default defineJob(${spec});\n`);
  const registry = await Registry.load({ dir, queues: QUEUES, queueLimits });
  expect(registry.problems).toEqual([]);
  return registry;
}

describe("flow options at enqueue", () => {
  test("concurrency, rateLimit and group keys come from the payload, scoped by job", async () => {
    const r = await registryWith(`{
      schema: z.object({ tenant: z.string(), n: z.number().default(1) }),
      concurrency: { max: 3, key: (p) => p.tenant }, rateLimit: { max: 50, per: "1s" }, group: (p) => "g-" + p.tenant, run() {},
    }`);
    const job = buildNewJob(r, { name: "sync", data: { tenant: "acme" } }, 0);
    expect(job.flow).toEqual({ limits: [{ key: "j:sync:acme", max: 3 }, { key: "j:sync", max: 50, perMs: 1_000 }], group: "g-acme" });
  });

  test("a job with no flow options and no queue limits carries no flow", async () => {
    const r = await registryWith("{ run() {} }");
    expect(buildNewJob(r, { name: "sync", data: {} }, 0).flow).toBeUndefined();
  });

  test("the config's queue limits ride on every job of that queue", async () => {
    const r = await registryWith("{ run() {} }", { default: { concurrency: { max: 10 }, rateLimit: { max: 5, per: 60_000 } } });
    expect(buildNewJob(r, { name: "sync", data: {} }, 0).flow).toEqual({ limits: [{ key: "q:default", max: 10 }, { key: "q:default", max: 5, perMs: 60_000 }] });
    expect(buildNewJob(r, { name: "sync", data: {}, queue: "low" }, 0).flow).toBeUndefined();
  });

  test("a key function that throws, or returns an empty or over-long key, refuses the enqueue naming the option", async () => {
    const r = await registryWith(`{ concurrency: { max: 1, key: (p) => p.k }, run() {} }`);
    expect(() => buildNewJob(r, { name: "sync", data: { k: "" } }, 0)).toThrow(/concurrency.key\(payload\) must return 1 to 256 characters, got 0/);
    expect(() => buildNewJob(r, { name: "sync", data: { k: "x".repeat(257) } }, 0)).toThrow(UsageError);
    const t = await registryWith(`{ group: (p) => p.a.b, run() {} }`);
    expect(() => buildNewJob(t, { name: "sync", data: {} }, 0)).toThrow(/group\(payload\) threw/);
  });

  test("config queueLimits: bounds and durations are checked and name the field", () => {
    const ok = configSchema.parse({ queueLimits: { default: { rateLimit: { max: 50, per: "1s" } } } });
    expect(ok.queueLimits.default.rateLimit).toEqual({ max: 50, per: 1_000 });
    for (const bad of [{ concurrency: { max: 0 } }, { rateLimit: { max: 5, per: "soon" } }, { rateLimit: { max: -1, per: "1s" } }, { concurrency: { max: 1, key: "x" } }]) {
      const result = configSchema.safeParse({ queueLimits: { default: bad } });
      expect(result.success).toBe(false);
      expect(result.error!.issues[0].path.slice(0, 2)).toEqual(["queueLimits", "default"]);
    }
  });
});

describe("status shows the flow keys holding jobs back", () => {
  test("one row per key: running/max, when the next start may come, how many wait and since when", async () => {
    const { flowTable } = await import("../../src/cli/status-view.ts");
    const now = 1_000_000;
    const report = {
      store: { backend: "sqlite", durable: true },
      queues: [],
      workers: [],
      throughput: { minute: 0, queues: [] },
      flow: {
        limited: [
          { key: "j:erp-sync:acme", active: 3, max: 3, nextAt: 0, waiting: 57, waitingSince: now - 90_000 },
          { key: "j:geocode", active: 0, nextAt: now + 1_500, waiting: 4 },
        ],
        throttled: [],
      },
    };
    const text = flowTable(report, now)!;
    expect(text).toContain("LIMITED KEY");
    expect(text).toMatch(/j:erp-sync:acme\s+3\/3\s+now\s+57\s+2m ago/);
    expect(text).toMatch(/j:geocode\s+0\s+in 1.5s\s+4/);
    expect(flowTable({ ...report, flow: undefined }, now)).toBeUndefined();
  });
});
