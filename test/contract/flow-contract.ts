/**
 * Flow control (issue 20) as every store must keep it, part of the Store
 * contract (store-contract.ts calls it). Limits ride on the job record
 * (`flow`, core/flow.ts) and are applied inside `reserve`: a job over its
 * limit is not started and spends no attempt; slots come back when a job
 * leaves `active` any way (complete, fail, cancel, release, rescue);
 * `release` with `pause` is ctx.rateLimited. Time is the FakeClock.
 */

import { describe, expect, test } from "bun:test";
import type { FakeClock } from "../../src/core/clock.ts";
import type { FlowLimit, JobFlow } from "../../src/core/flow.ts";
import type { NewJob } from "../../src/core/types.ts";
import type { ReservedJob, Store } from "../../src/store/store.ts";

const QUEUES = ["critical", "default", "low"];
const LEASE = 30_000;

export function describeFlowContract(get: () => { store: Store; clock: FakeClock }, opts: { groups: boolean }): void {
  describe("flow control", () => {
    const conc = (key: string, max: number): FlowLimit => ({ key, max });
    const rate = (key: string, max: number, perMs: number): FlowLimit => ({ key, max, perMs });
    const job = (name: string, flow?: JobFlow, extra: Partial<NewJob> = {}): NewJob => ({ name, queue: "default", data: { name }, maxAttempts: 3, ...(flow ? { flow } : {}), ...extra });
    const enq = (jobs: NewJob[]) => get().store.enqueue({ jobs, now: get().clock.now() });
    const reserve = (workerId = "w1", max = 100, queues = QUEUES) => get().store.reserve({ queues, workerId, max, leaseMs: LEASE, now: get().clock.now() });
    const complete = (j: ReservedJob) => get().store.complete({ workerId: j.lease.workerId, jobs: [{ id: j.id, token: j.lease.token }], now: get().clock.now() });
    const names = (js: ReservedJob[]) => js.map((j) => j.name).sort();

    test("a per-key concurrency limit: at most max of a key run; a freed slot lets the next one in; no attempt is spent waiting", async () => {
      await enq([...["a1", "a2", "a3", "a4"].map((n) => job(n, { limits: [conc("j:x:A", 2)] })), job("b1", { limits: [conc("j:x:B", 2)] }), job("plain")]);
      const first = await reserve();
      expect(names(first)).toEqual(["a1", "a2", "b1", "plain"]);
      expect(await reserve("w2")).toEqual([]);
      const waiting = (await get().store.listJobs({ state: "waiting", limit: 10 })).jobs;
      expect(waiting.map((j) => j.name).sort()).toEqual(["a3", "a4"]);
      for (const j of waiting) expect(j.attemptsMade).toBe(0);
      expect((await get().store.counts(["default"]))[0]).toMatchObject({ waiting: 2, active: 4 });
      await complete(first.find((j) => j.name === "a1")!);
      const next = await reserve("w2");
      expect(names(next)).toEqual(["a3"]);
      expect(next[0].attemptsMade).toBe(0);
      expect(await reserve()).toEqual([]);
    });

    test("the limit holds inside one claim and across workers; the rest stay in FIFO order", async () => {
      await enq(Array.from({ length: 10 }, (_, i) => job(`k${i}`, { limits: [conc("j:x", 3)] })));
      const a = await reserve("a", 2);
      const b = await reserve("b", 10);
      expect(a.length + b.length).toBe(3);
      for (const j of [...a, ...b]) await complete(j);
      const c = await reserve("c", 10);
      expect(c.map((j) => j.name)).toEqual(["k3", "k4", "k5"]);
    });

    test("every way out of active gives the slot back: fail with retry, cancel, release, and a rescued lease", async () => {
      const { store, clock } = get();
      await enq(Array.from({ length: 6 }, (_, i) => job(`s${i}`, { limits: [conc("j:x", 1)] })));
      let [held] = await reserve();
      await store.fail({ workerId: "w1", id: held.id, token: held.lease.token, error: { attempt: 1, message: "x" }, retryAt: clock.now() + 60_000, now: clock.now() });
      [held] = await reserve();
      expect(held.name).toBe("s1");
      await store.cancelJob({ id: held.id, now: clock.now() });
      [held] = await reserve();
      expect(held.name).toBe("s2");
      await store.release({ workerId: "w1", jobs: [{ id: held.id, token: held.lease.token }] });
      [held] = await reserve();
      expect(held.name).toBe("s2");
      // The worker dies: its lease runs out; the rescue puts the job back and frees the slot.
      expect(await reserve("w2")).toEqual([]);
      clock.advance(LEASE + 1);
      expect((await store.rescueExpired({ maxStalls: 5, limit: 100, now: clock.now() })).rescued).toEqual([held.id]);
      const again = await reserve("w2");
      expect(again.map((j) => j.name)).toEqual(["s2"]);
      expect(again[0].attemptsMade).toBe(0);
    });

    test("a rate limit spaces starts per / max apart: never more than max in any window of per", async () => {
      const { clock } = get();
      await enq(Array.from({ length: 6 }, (_, i) => job(`r${i}`, { limits: [rate("j:x", 2, 1_000)] })));
      expect((await reserve()).length).toBe(1);
      clock.advance(499);
      expect(await reserve()).toEqual([]);
      clock.advance(1);
      expect((await reserve()).map((j) => j.name)).toEqual(["r1"]);
      clock.advance(10_000);
      // Idle time does not bank starts: still one now, the next 500 ms later.
      expect((await reserve()).map((j) => j.name)).toEqual(["r2"]);
      expect(await reserve()).toEqual([]);
      clock.advance(500);
      expect((await reserve()).map((j) => j.name)).toEqual(["r3"]);
    });

    test("a blocked key does not hold up other keys, or jobs behind it", async () => {
      await enq([...Array.from({ length: 50 }, (_, i) => job(`a${i}`, { limits: [conc("j:x:A", 1)] })), job("b", { limits: [conc("j:x:B", 1)] }), job("plain")]);
      expect(names(await reserve("w1", 10))).toEqual(["a0", "b", "plain"]);
    });

    test("release with pause (ctx.rateLimited): back to waiting, no attempt spent, and nothing of its key starts during the pause", async () => {
      const { store, clock } = get();
      await enq([job("p1", { limits: [conc("j:x:A", 5)] }), job("p2", { limits: [conc("j:x:A", 5)] }), job("other", { limits: [conc("j:x:B", 5)] })]);
      const got = await reserve("w1", 1);
      expect(got.map((j) => j.name)).toEqual(["p1"]);
      await store.release({ workerId: "w1", jobs: [{ id: got[0].id, token: got[0].lease.token }], pause: { ms: 1_000, now: clock.now() } });
      const back = (await store.getJob(got[0].id))!;
      expect(back).toMatchObject({ state: "waiting", attemptsMade: 0 });
      expect(names(await reserve())).toEqual(["other"]);
      clock.advance(999);
      expect(await reserve()).toEqual([]);
      clock.advance(1);
      expect(names(await reserve())).toEqual(["p1", "p2"]);
    });

    test("release with pause of a job with no keys pauses its queue only", async () => {
      const { store, clock } = get();
      await enq([job("q1"), job("q2"), job("low", undefined, { queue: "low" })]);
      const [q1] = await reserve("w1", 1);
      await store.release({ workerId: "w1", jobs: [{ id: q1.id, token: q1.lease.token }], pause: { ms: 2_000, now: clock.now() } });
      expect(names(await reserve())).toEqual(["low"]);
      clock.advance(2_000);
      expect(names(await reserve())).toEqual(["q1", "q2"]);
    });

    test.if(opts.groups)("groups share a queue round-robin: a small group's jobs do not wait behind a big group's backlog", async () => {
      await enq(Array.from({ length: 40 }, (_, i) => job(`A${i}`, { group: "A" })));
      expect((await reserve("w1", 10)).every((j) => j.name.startsWith("A"))).toBe(true);
      await enq([job("B0", { group: "B" }), job("B1", { group: "B" }), job("C0", { group: "C" })]);
      const next = await reserve("w1", 6);
      expect(next.map((j) => j.name).filter((n) => !n.startsWith("A")).sort()).toEqual(["B0", "B1", "C0"]);
      // Without a group, a job joins the back of the line as before.
      await enq([job("plain")]);
      expect((await reserve("w1", 10)).map((j) => j.name)).not.toContain("plain");
    });

    test.if(opts.groups)("groups in a big batch, next to plain jobs and another priority: each group keeps its own order, plain jobs theirs", async () => {
      await enq(Array.from({ length: 3_000 }, (_, i) => job(`A${i}`, { group: "A" })));
      await enq([job("P0"), job("B0", { group: "B" }), job("P1"), job("B1", { group: "B" }), job("hi", { group: "B" }, { priority: 1 })]);
      const first = (await reserve("w1", 8)).map((j) => j.name);
      // B's two jobs join the first round; the plain jobs stay behind A's backlog, as without groups.
      expect(first.filter((n) => n.startsWith("B"))).toEqual(["B0", "B1"]);
      expect(first.filter((n) => n.startsWith("A"))).toEqual(first.filter((n) => n.startsWith("A")).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))));
      expect(first).not.toContain("P0");
      expect(first).not.toContain("hi");
    });

    test("flowStatus: the keys holding jobs back, how many and since when, and the throttled counts", async () => {
      const { store, clock } = get();
      const since = clock.now();
      await enq([...Array.from({ length: 4 }, (_, i) => job(`f${i}`, { limits: [conc("j:f:A", 1)] })), job("g0", { limits: [conc("j:g", 2)] })]);
      clock.advance(10);
      await reserve();
      const status = await store.flowStatus({ now: clock.now(), limit: 10 });
      expect(status.limited).toEqual([{ key: "j:f:A", active: 1, max: 1, nextAt: 0, waiting: 3, waitingSince: since }]);
      // Each job is parked once, not once per claim that passes it.
      expect(status.throttled.sort((a, b) => (a.job < b.job ? -1 : 1))).toEqual(["f1", "f2", "f3"].map((j) => ({ queue: "default", job: j, count: 1 })));
    });

    test("a parked job can be cancelled and removed; counts stay right", async () => {
      const { store, clock } = get();
      const ids = (await enq([job("c1", { limits: [conc("j:x", 1)] }), job("c2", { limits: [conc("j:x", 1)] }), job("c3", { limits: [conc("j:x", 1)] })])).map((r) => r.id);
      const [held] = await reserve();
      expect(await reserve()).toEqual([]);
      await store.cancelJob({ id: ids[1], now: clock.now() });
      await store.removeJob(ids[1]);
      await complete(held);
      expect((await reserve()).map((j) => j.name)).toEqual(["c3"]);
      expect((await store.counts(["default"]))[0]).toMatchObject({ waiting: 0, active: 1, completed: 1 });
      expect((await store.getJob(ids[2]))!.flow).toEqual({ limits: [conc("j:x", 1)] });
    });
  });
}
