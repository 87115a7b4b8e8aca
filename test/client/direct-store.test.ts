/**
 * The client straight against a store (shape checks, defaults,
 * all-or-nothing, lazy open) over a MemoryStore passed as `{ store }`: the
 * LocalOperations without job modules. The Redis flavour (`{ redisUrl }`)
 * is the same code with RedisStore behind it (redis-transport.test.ts).
 */

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { ClientClosedError, NotFoundError, onceUntilItWorks, QworkerClient, UsageError, ValidationError } from "../../src/client.ts";
import { FakeClock } from "../../src/core/clock.ts";
import { StoreUnavailableError } from "../../src/core/errors.ts";
import { MemoryStore } from "../../src/store/memory/memory-store.ts";

let store: MemoryStore;
let client: QworkerClient;
beforeEach(async () => {
  store = new MemoryStore(new FakeClock());
  await store.open();
  client = new QworkerClient({ store });
});
afterEach(async () => {
  await client.close();
  await store.close();
});

async function stored(): Promise<number> {
  return (await store.listJobs({ limit: 1000 })).jobs.length;
}

describe("client over a store, without job modules", () => {
  test("enqueues with the documented defaults: queue default, 3 attempts, priority 0", async () => {
    const { id, deduplicated } = await client.enqueue("send-email", { to: "a@b.co" });
    expect(deduplicated).toBe(false);
    expect(await store.getJob(id)).toMatchObject({ name: "send-email", queue: "default", maxAttempts: 3, priority: 0, data: { to: "a@b.co" }, state: "waiting" });
  });

  test("options are applied; a key dedupes", async () => {
    const a = await client.enqueue("report", { month: "2026-01" }, { queue: "low", attempts: 5, priority: 2, key: "2026-01", in: 30 });
    const job = await store.getJob(a.id);
    expect(job).toMatchObject({ queue: "low", maxAttempts: 5, priority: 2, uniqueKey: "2026-01", state: "delayed" });
    expect(await client.enqueue("report", { month: "2026-01" }, { key: "2026-01" })).toEqual({ id: a.id, deduplicated: true });
  });

  test("checks shape only: a payload the schema would refuse is stored (the worker fails it)", async () => {
    const { id } = await client.enqueue("send-email", { to: 42 });
    expect((await store.getJob(id))!.data).toEqual({ to: 42 });
  });

  test("a bad field or a bad item stores nothing", async () => {
    const bad = await client.enqueue("x", {}, { priority: -1 }).catch((e) => e);
    expect(bad).toBeInstanceOf(UsageError);
    expect(bad.message).toContain("priority");
    const batch = await client.enqueueMany([{ name: "a" }, { name: "" }]).catch((e) => e);
    expect(batch).toBeInstanceOf(UsageError);
    expect(batch.message).toStartWith("item 1: name:");
    expect(batch.issues).toEqual([{ index: 1, field: "name", message: "name the job to enqueue" }]);
    const both = await client.enqueue("x", {}, { in: 1, at: "2030-01-01T00:00:00Z" }).catch((e) => e);
    expect(both.message).toContain("not both");
    const garbage = await client.enqueue("x", {}, { at: "yesterday-ish garbage" }).catch((e) => e);
    expect(garbage.message).toContain("is not a date");
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const notJson = await client.enqueue("x", cyclic).catch((e) => e);
    expect(notJson).toBeInstanceOf(ValidationError);
    expect(notJson.message).toContain("more than 64 levels");
    expect(await client.enqueueMany([]).catch((e) => e)).toBeInstanceOf(UsageError);
    expect(await stored()).toBe(0);
  });

  test("getJob, cancel, retry, waitFor", async () => {
    const { id } = await client.enqueue("noop");
    expect((await client.getJob(id)).state).toBe("waiting");
    expect(await client.getJob("nope").catch((e) => e)).toBeInstanceOf(NotFoundError);
    expect((await client.cancel(id)).state).toBe("cancelled");
    expect((await client.waitFor(id)).state).toBe("cancelled");
    expect((await client.retry(id)).state).toBe("waiting");
  });

  test("close() leaves a store the app passed in open", async () => {
    await client.close();
    expect(await client.getJob("x").catch((e) => e)).toBeInstanceOf(ClientClosedError);
    expect(await store.listJobs({ limit: 1 })).toEqual({ jobs: [], nextCursor: undefined });
  });
});

describe("opening a store on first use", () => {
  test("opens once for concurrent calls, and a failed open is retried by the next call, not cached", async () => {
    let calls = 0;
    const open = onceUntilItWorks(async () => {
      calls++;
      if (calls === 1) throw new StoreUnavailableError("redis down (test)");
      return calls;
    });
    expect(await open().catch((e) => e)).toBeInstanceOf(StoreUnavailableError);
    expect(await Promise.all([open(), open()])).toEqual([2, 2]);
    expect(await open()).toBe(2);
    expect(calls).toBe(2);
  });
});
