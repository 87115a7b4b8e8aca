/**
 * Limits, each with its config key and a clear refusal (issue 17): payload
 * size, jobs per enqueue, admin requests in flight and request time. A
 * refused request changes nothing in the store. (Result size is in
 * test/worker/pool.test.ts, job log lines in test/worker/job-log tests.)
 */

import { afterEach, describe, expect, test } from "bun:test";
import { UsageError, ValidationError } from "../../src/core/errors.ts";
import { LocalOperations } from "../../src/ops/local.ts";
import type { Operations } from "../../src/ops/operations.ts";
import { fetchWithin } from "../helpers/wait.ts";
import { startHarness, type Harness } from "./harness.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("limits", () => {
  test("a payload over limits.maxPayloadBytes is refused naming data and the key, over HTTP (400) and in-process; nothing is stored", async () => {
    h = await startHarness();
    const ops = new LocalOperations({ store: h.store, clock: h.clock, registry: undefined, limits: { maxPayloadBytes: 2_048, maxResultBytes: 1_048_576, maxBulkJobs: 10, jobLogLines: 200 } });
    const big = { to: "a@b.co", subject: "x".repeat(3_000) };
    const err = await ops.enqueue([{ name: "send-email", data: big }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toContain("limits.maxPayloadBytes");
    expect((err as ValidationError).issues?.[0]?.field).toBe("data");
    // The server's default is 512 KiB: 600 KB is refused, 100 KB is fine.
    const refused = await h.call("POST", "/api/jobs", { body: { name: "send-email", data: { to: "a@b.co", subject: "y".repeat(600_000) } } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain("at most 512 KiB (limits.maxPayloadBytes)");
    expect(await h.jobCount()).toBe(0);
    const fine = await h.call("POST", "/api/jobs", { body: { name: "send-email", data: { to: "a@b.co", subject: "y".repeat(100_000) } } });
    expect(fine.status).toBe(201);
    expect(await h.jobCount()).toBe(1);
  });

  test("more jobs than limits.maxBulkJobs in one enqueue is refused as a whole (10,001 over HTTP); nothing is stored", async () => {
    h = await startHarness({ maxBodyBytes: 4 * 1024 * 1024 });
    const jobs = Array.from({ length: 10_001 }, () => ({ name: "noop" }));
    const res = await h.call("POST", "/api/jobs", { body: jobs });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("10001 jobs in one enqueue; at most 10000 (limits.maxBulkJobs)");
    expect(await h.jobCount()).toBe(0);
    const ops = new LocalOperations({ store: h.store, clock: h.clock, limits: { maxPayloadBytes: 524_288, maxResultBytes: 1_048_576, maxBulkJobs: 3, jobLogLines: 200 } });
    expect(ops.enqueue([{ name: "a" }, { name: "b" }, { name: "c" }, { name: "d" }])).rejects.toBeInstanceOf(UsageError);
    expect(await h.jobCount()).toBe(0);
  });

  test("past admin.maxRequests in flight, requests get 503 at once while /health still answers 200; the held ones finish", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    h = await startHarness({ maxRequests: 2 });
    const real = h.ops;
    const slow = new Proxy(real, {
      get: (target, prop) => (prop === "queues" ? async () => (await gate, target.queues()) : Reflect.get(target, prop)),
    }) as Operations;
    await h.server.stop();
    h = await startHarness({ maxRequests: 2, ops: slow });
    const held = [h.call("GET", "/api/queues"), h.call("GET", "/api/queues")];
    // The two are in flight once the server has counted them; a third is refused without waiting.
    const third = await h.call("GET", "/api/queues");
    expect(third.status).toBe(503);
    expect(third.body.error.message).toContain("admin.maxRequests");
    expect(third.headers.get("retry-after")).toBe("1");
    expect((await fetchWithin(h.url + "/health")).status).toBe(200);
    release();
    expect((await Promise.all(held)).map((r) => r.status)).toEqual([200, 200]);
  });

  test("a request not answered within admin.requestTimeout gets 503 (300 ms here; asserted under a generous 10 s)", async () => {
    const never = new Promise<never>(() => {});
    h = await startHarness();
    const stuck = new Proxy(h.ops, { get: (t, prop) => (prop === "workers" ? () => never : Reflect.get(t, prop)) }) as Operations;
    await h.close();
    h = await startHarness({ requestTimeoutMs: 300, ops: stuck });
    const t0 = performance.now();
    const res = await h.call("GET", "/api/workers");
    expect(res.status).toBe(503);
    expect(res.body.error.message).toContain("admin.requestTimeout");
    expect(performance.now() - t0).toBeLessThan(10_000);
  });
});
