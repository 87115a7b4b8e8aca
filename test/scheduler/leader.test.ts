// Leader election: one leader at a time over one store, takeover after the TTL when the
// leader stops renewing, at once when it stops, and fencing tokens that only grow.

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { FakeClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { LeaderElector } from "../../src/scheduler/leader.ts";
import type { Store } from "../../src/store/store.ts";
import { within } from "../helpers/wait.ts";
import { afterTest, cleanupAll, flaky, memoryKit, sqliteKit, type StoreKit } from "./helpers.ts";

const TTL = 1_500;
const RENEW = 500;

afterEach(cleanupAll);

const kits: StoreKit[] = [memoryKit];
const sqlite = await sqliteKit();
if (sqlite) kits.push(sqlite);

for (const kit of kits) {
  describe(`LeaderElector on ${kit.label}`, () => {
    let clock: FakeClock;
    let stores: [Store, Store];

    beforeEach(async () => {
      clock = new FakeClock(Date.UTC(2026, 5, 1, 12, 0, 0));
      stores = await kit.open(clock);
    });

    function elector(holder: string, store: Store): LeaderElector {
      const made = new LeaderElector({ store, clock, log: silentLogger, name: "scheduler", holder, ttlMs: TTL, renewMs: RENEW });
      afterTest(() => made.stop());
      return made;
    }

    /** Wakes the elector and resolves with the outcome of its next attempt. */
    async function check(e: LeaderElector): Promise<boolean> {
      const checked = e.events.once("leader:checked");
      e.wake();
      return (await within(checked, 5_000, `${e.holder}'s election attempt`)).leader;
    }

    async function startAndCheck(e: LeaderElector): Promise<boolean> {
      const checked = e.events.once("leader:checked");
      e.start();
      return (await within(checked, 5_000, `${e.holder}'s first election attempt`)).leader;
    }

    test("one leader at a time; the standby takes over after the TTL once the leader stops renewing", async () => {
      const a = flaky(stores[0]);
      const ea = elector("a", a.store);
      const eb = elector("b", stores[1]);
      const elected = ea.events.once("leader:elected");
      expect(await startAndCheck(ea)).toBe(true);
      const first = (await elected).token;
      expect(ea.token).toBe(first);
      expect(await startAndCheck(eb)).toBe(false);

      // Renewals keep a in charge across many TTLs.
      for (let i = 0; i < 5; i++) {
        clock.advance(RENEW);
        expect(await check(ea)).toBe(true);
        expect(await check(eb)).toBe(false);
      }

      // a loses the store: its renewals fail. Before the TTL it still counts as leader, and b cannot take over.
      a.failing.add("leaderAcquire");
      clock.advance(RENEW);
      expect(await check(ea)).toBe(true);
      expect(await check(eb)).toBe(false);

      // Past the TTL: a steps down on its own clock, b takes over with a larger token.
      const lost = ea.events.once("leader:lost");
      clock.advance(TTL);
      expect(ea.isLeader()).toBe(false); // judged locally, even before a's loop notices
      expect(await check(ea)).toBe(false);
      expect((await lost).reason).toContain("renewal failed");
      const bElected = eb.events.once("leader:elected");
      expect(await check(eb)).toBe(true);
      const second = (await bElected).token;
      expect(second).toBeGreaterThan(first);

      // a's store comes back: b holds the lease, a stays standby.
      a.failing.delete("leaderAcquire");
      expect(await check(ea)).toBe(false);
      expect(eb.isLeader()).toBe(true);
      expect((await stores[0].leaderGet({ name: "scheduler", now: clock.now() }))?.holder).toBe("b");
    });

    test("stop() releases the lease: the standby takes over at its next try, with a larger token", async () => {
      const ea = elector("a", stores[0]);
      const eb = elector("b", stores[1]);
      const aElected = ea.events.once("leader:elected");
      expect(await startAndCheck(ea)).toBe(true);
      expect(await startAndCheck(eb)).toBe(false);
      const first = (await aElected).token;

      const lost = ea.events.once("leader:lost");
      await ea.stop();
      expect((await lost).reason).toBe("stopped");
      expect(ea.isLeader()).toBe(false);
      await ea.stop(); // idempotent

      // No clock movement: the lease was released, not left to expire.
      const bElected = eb.events.once("leader:elected");
      expect(await check(eb)).toBe(true);
      expect((await bElected).token).toBeGreaterThan(first);
    });

    test("a leader that cannot renew for longer than the TTL steps down even while the store hangs", async () => {
      const ea = elector("a", stores[0]);
      expect(await startAndCheck(ea)).toBe(true);
      clock.advance(TTL - 1);
      expect(ea.isLeader()).toBe(true);
      clock.advance(1);
      expect(ea.isLeader()).toBe(false);
      expect(ea.token).toBeUndefined();
      // Its next renewal gets a fresh lease (nobody else wanted it): a new term, a new token.
      const lost = ea.events.once("leader:lost");
      const elected = ea.events.once("leader:elected");
      expect(await check(ea)).toBe(true);
      await within(lost, 1_000, "leader:lost for the lapsed term");
      expect((await elected).token).toBeGreaterThan(1);
    });

    test("tokens grow with every new term across three electors", async () => {
      let live = [elector("a", stores[0]), elector("b", stores[1]), elector("c", stores[0])];
      const tokens: number[] = [];
      const watch = (e: LeaderElector) => e.events.on("leader:elected", (p) => tokens.push(p.token));
      for (const e of live) {
        watch(e);
        await startAndCheck(e);
      }
      for (let round = 0; round < 3; round++) {
        const leaders = live.filter((e) => e.isLeader());
        expect(leaders.length).toBe(1);
        await leaders[0].stop();
        live = live.filter((e) => e !== leaders[0]);
        for (const e of live) await check(e);
        expect(live.filter((e) => e.isLeader()).length).toBe(1);
        const fresh = elector(`n${round}`, stores[round % 2]);
        watch(fresh);
        expect(await startAndCheck(fresh)).toBe(false);
        live.push(fresh);
      }
      expect(tokens.length).toBe(4);
      tokens.slice(1).forEach((t, i) => expect(t).toBeGreaterThan(tokens[i]));
    });
  });
}
