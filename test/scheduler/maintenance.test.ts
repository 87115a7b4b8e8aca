// The leader's maintenance loops on their own: the delayed-job promoter (fake clock, and
// once on the real clock for timing), the lease rescuer and retention.

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { FakeClock, systemClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/core/logger.ts";
import type { NewJob } from "../../src/core/types.ts";
import { Promoter } from "../../src/scheduler/promoter.ts";
import { Rescuer } from "../../src/scheduler/rescuer.ts";
import { retentionPolicy, Retention } from "../../src/scheduler/retention.ts";
import { MemoryStore } from "../../src/store/memory/memory-store.ts";
import type { Store } from "../../src/store/store.ts";
import { within } from "../helpers/wait.ts";
import { afterTest, cleanupAll, makeConfig, memoryKit, sqliteKit, type StoreKit } from "./helpers.ts";

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const job = (extra: Partial<NewJob> = {}): NewJob => ({ name: "j", queue: "default", data: {}, maxAttempts: 3, ...extra });

afterEach(cleanupAll);

const kits: StoreKit[] = [memoryKit];
const sqlite = await sqliteKit();
if (sqlite) kits.push(sqlite);

for (const kit of kits) {
  describe(`maintenance on ${kit.label}`, () => {
    let clock: FakeClock;
    let store: Store;

    beforeEach(async () => {
      clock = new FakeClock(T0);
      [store] = await kit.open(clock);
    });

    test("promoter: a delayed job becomes waiting once due, not before", async () => {
      const [{ id }] = await store.enqueue({ jobs: [job({ runAt: T0 + 5_000 })], now: clock.now() });
      const promoter = new Promoter({ store, clock, log: silentLogger });
      afterTest(() => promoter.stop());

      // It sleeps until the job is due (capped at 1 s), not in a fixed short loop.
      const idle = promoter.events.once("promote:idle");
      promoter.start();
      expect(await within(idle, 5_000, "the promoter's first look")).toEqual({ dueAt: T0 + 5_000, sleepMs: 1_000 });

      clock.advance(4_800);
      const closer = promoter.events.once("promote:idle");
      promoter.wake();
      expect((await within(closer, 5_000, "the promoter's second look")).sleepMs).toBe(200);
      expect((await store.getJob(id))?.state).toBe("delayed");

      clock.advance(200);
      const done = promoter.events.once("promote:done");
      promoter.wake();
      expect(await within(done, 5_000, "promotion")).toEqual({ moved: 1 });
      expect((await store.getJob(id))?.state).toBe("waiting");

      // Nothing delayed any more: it sleeps the cap.
      const empty = promoter.events.once("promote:idle");
      promoter.wake();
      expect(await within(empty, 5_000, "the promoter going idle")).toEqual({ dueAt: undefined, sleepMs: 1_000 });
      await promoter.stop();
      await promoter.stop();
    });

    test("rescuer: an expired lease goes back to waiting, and past maxStalls the job fails", async () => {
      const [{ id }] = await store.enqueue({ jobs: [job()], now: clock.now() });
      await store.reserve({ queues: ["default"], workerId: "gone", max: 1, leaseMs: 1_000, now: clock.now() });
      const rescuer = new Rescuer({ store, clock, log: silentLogger, intervalMs: 5_000, maxStalls: 1 });
      afterTest(() => rescuer.stop());

      const first = rescuer.events.once("rescue:done");
      rescuer.start();
      expect(await within(first, 5_000, "the first scan")).toEqual({ rescued: [], failed: [] });

      clock.advance(1_001);
      const second = rescuer.events.once("rescue:done");
      rescuer.wake();
      expect(await within(second, 5_000, "the second scan")).toEqual({ rescued: [id], failed: [] });
      expect(await store.getJob(id)).toMatchObject({ state: "waiting", stalls: 1 });

      await store.reserve({ queues: ["default"], workerId: "gone-again", max: 1, leaseMs: 1_000, now: clock.now() });
      clock.advance(1_001);
      const third = rescuer.events.once("rescue:done");
      rescuer.wake();
      expect(await within(third, 5_000, "the third scan")).toEqual({ rescued: [], failed: [id] });
      expect((await store.getJob(id))?.state).toBe("failed");
    });

    test("retention: finished jobs past the configured age are removed", async () => {
      const [{ id }] = await store.enqueue({ jobs: [job()], now: clock.now() });
      const [reserved] = await store.reserve({ queues: ["default"], workerId: "w", max: 1, leaseMs: 30_000, now: clock.now() });
      await store.complete({ workerId: "w", jobs: [{ id, token: reserved.lease.token }], now: clock.now() });
      const policy = retentionPolicy(makeConfig({ retention: { completedMaxAge: "1h" } }).retention);
      expect(policy).toEqual({ completedMaxAgeMs: 3_600_000, completedMaxCount: 1_000, failedMaxAgeMs: 604_800_000, failedMaxCount: 100_000 });
      const retention = new Retention({ store, clock, log: silentLogger, intervalMs: 60_000, policy });
      afterTest(() => retention.stop());

      const first = retention.events.once("retention:done");
      retention.start();
      expect(await within(first, 5_000, "the first trim")).toEqual({ removed: 0 });
      clock.advance(3_600_001);
      const second = retention.events.once("retention:done");
      retention.wake();
      expect(await within(second, 5_000, "the second trim")).toEqual({ removed: 1 });
      expect(await store.getJob(id)).toBeUndefined();
    });
  });
}

test("promoter on the real clock wakes at the due time, not at the next 1 s tick", async () => {
  const store = new MemoryStore(systemClock);
  const promoter = new Promoter({ store, clock: systemClock, log: silentLogger });
  afterTest(() => promoter.stop());
  promoter.start();
  // Enqueued while the promoter sleeps with nothing due; a wake-up (as after an enqueue) makes it look again.
  const runAt = Date.now() + 150;
  await store.enqueue({ jobs: [job({ runAt })], now: Date.now() });
  promoter.wake();
  await within(promoter.events.once("promote:done"), 5_000, "promotion");
  const late = Date.now() - runAt;
  expect(late).toBeGreaterThanOrEqual(0);
  // Well under the 850 ms it would be had it waited for its 1 s tick; bench/ measures the real figure.
  expect(late).toBeLessThan(500);
});
