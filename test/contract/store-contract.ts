/**
 * The Store contract: one suite, run against every implementation
 * (`describeStore("sqlite", makeSqliteStore)`). A store is correct when it
 * passes this file; the worker, scheduler and API rely on nothing else.
 * Time is a FakeClock the factory must hand to the store.
 */

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { FakeClock } from "../../src/core/clock.ts";
import { InvalidStateError, NotFoundError } from "../../src/core/errors.ts";
import { DEAD_WORKER_KEEP_MS, JOB_LOG_LINES_KEPT, type NewJob, type QueueCounts, type WorkerInfo } from "../../src/core/types.ts";
import type {
  CompleteParams,
  ExtendLeasesParams,
  FailParams,
  LeaderParams,
  RescueParams,
  ReserveParams,
  RetentionPolicy,
  Store,
} from "../../src/store/store.ts";
import { within } from "../helpers/wait.ts";
import { seeded } from "../fuzz/random.ts";
import { scanCounts } from "./differential.ts";
import { describeFlowContract } from "./flow-contract.ts";

export interface StoreUnderTest {
  store: Store;
  /** Closes the store and deletes what the factory made (files, keys). */
  cleanup(): Promise<void>;
}

export type StoreFactory = (clock: FakeClock) => Promise<StoreUnderTest>;

const QUEUES = ["critical", "default", "low"];
const W = "worker-1";
const LEASE = 30_000;

function job(name: string, extra: Partial<NewJob> = {}): NewJob {
  return { name, queue: "default", data: { name }, maxAttempts: 3, ...extra };
}

export interface ContractOptions {
  /** Flow control (issue 20) is enforced; false only for a store that has not implemented it yet. Default true. */
  flow?: boolean;
  /** Fair-share groups are honoured (round-robin places in line). Default true. */
  groups?: boolean;
}

export function describeStore(label: string, factory: StoreFactory, opts: ContractOptions = {}): void {
  describe(`Store contract: ${label}`, () => {
    let clock: FakeClock;
    let store: Store;
    let sut: StoreUnderTest;

    beforeEach(async () => {
      clock = new FakeClock(Date.UTC(2026, 5, 1, 12, 0, 0));
      sut = await factory(clock);
      store = sut.store;
    });

    afterEach(async () => {
      await sut.cleanup();
    });

    // Every time the store records comes from the caller; these read the fake clock once per call.
    const now = () => clock.now();
    const enq = (jobs: NewJob[]) => store.enqueue({ jobs, now: now() });
    const reserve = (p: Omit<ReserveParams, "now">) => store.reserve({ ...p, now: now() });
    const complete = (p: Omit<CompleteParams, "now">) => store.complete({ ...p, now: now() });
    const fail = (p: Omit<FailParams, "now">) => store.fail({ ...p, now: now() });
    const extend = (p: Omit<ExtendLeasesParams, "now">) => store.extendLeases({ ...p, now: now() });
    const rescue = (p: Omit<RescueParams, "now">) => store.rescueExpired({ ...p, now: now() });
    const trim = (policy: RetentionPolicy) => store.trim({ policy, now: now() });
    const cancelJob = (id: string) => store.cancelJob({ id, now: now() });
    const retryJob = (id: string) => store.retryJob({ id, now: now() });
    const acquire = (p: Omit<LeaderParams, "now">) => store.leaderAcquire({ ...p, now: now() });
    const leaderGet = (name: string) => store.leaderGet({ name, now: now() });
    const heartbeat = (info: WorkerInfo, ttlMs: number) => store.workerHeartbeat({ info, ttlMs, now: now() });
    const listWorkers = () => store.listWorkers({ now: now() });
    const reserveAll = (max = 100, queues = QUEUES, workerId = W) => reserve({ queues, workerId, max, leaseMs: LEASE });

    test("enqueue stores the job and getJob returns it as waiting", async () => {
      const [r] = await enq([job("a", { data: { to: "x@y.z", n: [1, 2] }, priority: 2 })]);
      expect(r.deduplicated).toBe(false);
      const got = await store.getJob(r.id);
      expect(got).toMatchObject({
        id: r.id,
        name: "a",
        queue: "default",
        data: { to: "x@y.z", n: [1, 2] },
        state: "waiting",
        priority: 2,
        attemptsMade: 0,
        maxAttempts: 3,
        stalls: 0,
        createdAt: clock.now(),
        errors: [],
      });
      expect(await store.getJob("no-such-id")).toBeUndefined();
    });

    test("reserve follows queue order, then priority, then FIFO", async () => {
      await enq([
        job("low-1", { queue: "low" }),
        job("def-p5", { priority: 5 }),
        job("def-1"),
        job("def-2"),
        job("crit-1", { queue: "critical", priority: 9 }),
      ]);
      clock.advance(1);
      await enq([job("def-3"), job("def-p0-late", { priority: 0 })]);
      const got = await reserveAll();
      expect(got.map((j) => j.name)).toEqual(["crit-1", "def-1", "def-2", "def-3", "def-p0-late", "def-p5", "low-1"]);
      for (const j of got) {
        expect(j.state).toBe("active");
        expect(j.lease.workerId).toBe(W);
        expect(j.lease.until).toBe(clock.now() + LEASE);
      }
    });

    test("reserve respects max and never hands one job to two workers", async () => {
      await enq(Array.from({ length: 10 }, (_, i) => job(`j${i}`)));
      const a = await reserve({ queues: QUEUES, workerId: "a", max: 4, leaseMs: LEASE });
      const b = await reserve({ queues: QUEUES, workerId: "b", max: 100, leaseMs: LEASE });
      expect(a.length).toBe(4);
      expect(b.length).toBe(6);
      const ids = new Set([...a, ...b].map((j) => j.id));
      expect(ids.size).toBe(10);
      expect(await reserveAll()).toEqual([]);
    });

    test("reserve only takes the queues asked for", async () => {
      await enq([job("l", { queue: "low" }), job("d")]);
      const got = await reserve({ queues: ["low"], workerId: W, max: 10, leaseMs: LEASE });
      expect(got.map((j) => j.name)).toEqual(["l"]);
    });

    test("a delayed job waits for its time, then is reservable", async () => {
      const [r] = await enq([job("later", { runAt: clock.now() + 5_000 })]);
      expect((await store.getJob(r.id))!.state).toBe("delayed");
      expect(await store.nextDueAt()).toBe(clock.now() + 5_000);
      expect(await reserveAll()).toEqual([]);
      clock.advance(4_999);
      expect(await reserveAll()).toEqual([]);
      clock.advance(1);
      const got = await reserveAll();
      expect(got.map((j) => j.id)).toEqual([r.id]);
    });

    test("promoteDue moves only due delayed jobs to waiting", async () => {
      await enq([job("soon", { runAt: clock.now() + 1_000 }), job("later", { runAt: clock.now() + 60_000 })]);
      expect(await store.promoteDue({ limit: 100, now: now() })).toBe(0);
      clock.advance(1_000);
      expect(await store.promoteDue({ limit: 100, now: now() })).toBe(1);
      const counts = (await store.counts(QUEUES)).find((c) => c.queue === "default")!;
      expect(counts.waiting).toBe(1);
      expect(counts.delayed).toBe(1);
      expect(await store.nextDueAt()).toBe(clock.now() + 59_000);
    });

    test("complete stores the result; a stale token is ignored", async () => {
      const [r] = await enq([job("c")]);
      const [j] = await reserveAll();
      await complete({ workerId: "someone-else", jobs: [{ id: r.id, token: j.lease.token, result: "no" }] });
      await complete({ workerId: W, jobs: [{ id: r.id, token: j.lease.token + 1, result: "no" }] });
      expect((await store.getJob(r.id))!.state).toBe("active");
      clock.advance(250);
      await complete({ workerId: W, jobs: [{ id: r.id, token: j.lease.token, result: { ok: true, n: 1 } }] });
      const done = (await store.getJob(r.id))!;
      expect(done).toMatchObject({ state: "completed", result: { ok: true, n: 1 }, attemptsMade: 1, finishedAt: clock.now() });
      expect(done.startedAt).toBe(clock.now() - 250);
    });

    test("fail with retryAt delays the job and records the error; without it the job fails", async () => {
      const [r] = await enq([job("f")]);
      let [j] = await reserveAll();
      await fail({ workerId: W, id: r.id, token: j.lease.token, error: { attempt: 1, message: "boom", name: "Error" }, retryAt: clock.now() + 2_000 });
      let got = (await store.getJob(r.id))!;
      expect(got).toMatchObject({ state: "delayed", attemptsMade: 1, runAt: clock.now() + 2_000 });
      expect(got.errors).toEqual([{ attempt: 1, message: "boom", name: "Error", at: clock.now() }]);
      expect(await reserveAll()).toEqual([]);
      clock.advance(2_000);
      [j] = await reserveAll();
      expect(j.id).toBe(r.id);
      expect(j.attemptsMade).toBe(1);
      await fail({ workerId: W, id: r.id, token: j.lease.token, error: { attempt: 2, message: "boom again" } });
      got = (await store.getJob(r.id))!;
      expect(got).toMatchObject({ state: "failed", attemptsMade: 2, finishedAt: clock.now() });
      expect(got.errors.map((e) => e.message)).toEqual(["boom", "boom again"]);
    });

    test("release puts jobs back at the front without spending an attempt", async () => {
      const [a] = await enq([job("a")]);
      await enq([job("b")]);
      const [ja] = await reserve({ queues: QUEUES, workerId: W, max: 1, leaseMs: LEASE });
      await store.release({ workerId: W, jobs: [{ id: a.id, token: ja.lease.token }] });
      const got = (await store.getJob(a.id))!;
      expect(got).toMatchObject({ state: "waiting", attemptsMade: 0 });
      const again = await reserveAll();
      expect(again.map((j) => j.name)).toEqual(["a", "b"]);
      expect(again[0].lease.token).not.toBe(ja.lease.token);
    });

    test("progress is stored for the lease holder", async () => {
      const [r] = await enq([job("p")]);
      const [j] = await reserveAll();
      await store.progress({ id: r.id, token: j.lease.token, progress: { pct: 40, msg: "rendering" } });
      expect((await store.getJob(r.id))!.progress).toEqual({ pct: 40, msg: "rendering" });
    });

    test("extendLeases renews live leases and reports lost ones", async () => {
      const [a, b] = await enq([job("a"), job("b")]);
      const got = await reserveAll();
      const tokenOf = (id: string) => got.find((j) => j.id === id)!.lease.token;
      clock.advance(20_000);
      await cancelJob(b.id);
      const lost = await extend({ workerId: W, jobs: [{ id: a.id, token: tokenOf(a.id) }, { id: b.id, token: tokenOf(b.id) }], leaseMs: LEASE });
      expect(lost).toEqual([b.id]);
      expect((await store.getJob(a.id))!.lease!.until).toBe(clock.now() + LEASE);
      clock.advance(20_000);
      expect(await rescue({ maxStalls: 2, limit: 100 })).toEqual({ rescued: [], failed: [] });
      expect(await extend({ workerId: "other", jobs: [{ id: a.id, token: tokenOf(a.id) }], leaseMs: LEASE })).toEqual([a.id]);
    });

    test("rescueExpired returns stalled jobs to waiting, then fails a poison job past maxStalls", async () => {
      const [r] = await enq([job("poison")]);
      for (let stall = 1; stall <= 2; stall++) {
        const [j] = await reserveAll();
        expect(j.id).toBe(r.id);
        clock.advance(LEASE - 1);
        expect(await rescue({ maxStalls: 2, limit: 100 })).toEqual({ rescued: [], failed: [] });
        clock.advance(2);
        expect(await rescue({ maxStalls: 2, limit: 100 })).toEqual({ rescued: [r.id], failed: [] });
        const got = (await store.getJob(r.id))!;
        expect(got).toMatchObject({ state: "waiting", stalls: stall, attemptsMade: 0 });
        // The stalled worker's late completion must not land.
        await complete({ workerId: W, jobs: [{ id: r.id, token: j.lease.token, result: "late" }] });
        expect((await store.getJob(r.id))!.state).toBe("waiting");
      }
      await reserveAll();
      clock.advance(LEASE + 1);
      expect(await rescue({ maxStalls: 2, limit: 100 })).toEqual({ rescued: [], failed: [r.id] });
      const dead = (await store.getJob(r.id))!;
      expect(dead.state).toBe("failed");
      expect(dead.stalls).toBe(3);
      expect(dead.errors.at(-1)!.message).toContain("stalled too many times");
    });

    test("a unique key dedupes while the job is live, and frees when it finishes", async () => {
      const [first] = await enq([job("u", { uniqueKey: "k1", uniqueTtlMs: 60_000 })]);
      const [dup] = await enq([job("u", { uniqueKey: "k1", uniqueTtlMs: 60_000 })]);
      expect(dup).toEqual({ id: first.id, deduplicated: true });
      const [other] = await enq([job("u", { uniqueKey: "k2" })]);
      expect(other.deduplicated).toBe(false);
      const [otherName] = await enq([job("v", { uniqueKey: "k1" })]);
      expect(otherName.deduplicated).toBe(false);
      const [j] = await reserve({ queues: QUEUES, workerId: W, max: 1, leaseMs: LEASE });
      expect(j.id).toBe(first.id);
      const [whileActive] = await enq([job("u", { uniqueKey: "k1" })]);
      expect(whileActive).toEqual({ id: first.id, deduplicated: true });
      await complete({ workerId: W, jobs: [{ id: first.id, token: j.lease.token }] });
      const [after] = await enq([job("u", { uniqueKey: "k1" })]);
      expect(after.deduplicated).toBe(false);
      expect(after.id).not.toBe(first.id);
    });

    test("a unique key stops holding after its TTL", async () => {
      const [first] = await enq([job("u", { uniqueKey: "k", uniqueTtlMs: 1_000 })]);
      clock.advance(1_001);
      const [second] = await enq([job("u", { uniqueKey: "k", uniqueTtlMs: 1_000 })]);
      expect(second.deduplicated).toBe(false);
      expect(second.id).not.toBe(first.id);
    });

    test("an explicit id is inserted once; a second insert returns the first", async () => {
      const id = "cron:tick:1780315200000";
      const [a] = await enq([job("tick", { id })]);
      const [b] = await enq([job("tick", { id, data: { other: true } })]);
      expect(a).toEqual({ id, deduplicated: false });
      expect(b).toEqual({ id, deduplicated: true });
      expect((await store.getJob(id))!.data).toEqual({ name: "tick" });
      expect((await store.counts(QUEUES)).find((c) => c.queue === "default")!.waiting).toBe(1);
    });

    test("a batch enqueue keeps its order and returns one result per job", async () => {
      const specs = Array.from({ length: 500 }, (_, i) => job("bulk", { data: { i } }));
      const results = await enq(specs);
      expect(results.length).toBe(500);
      expect(new Set(results.map((r) => r.id)).size).toBe(500);
      const got = await reserve({ queues: QUEUES, workerId: W, max: 500, leaseMs: LEASE });
      expect(got.map((j) => (j.data as { i: number }).i)).toEqual(specs.map((_, i) => i));
    });

    test("cancel: waiting and active jobs are cancelled, finished ones refuse, unknown ids are not found", async () => {
      const [w, a] = await enq([job("w"), job("a")]);
      await cancelJob(w.id);
      expect((await store.getJob(w.id))!.state).toBe("cancelled");
      const got = await reserveAll();
      expect(got.map((j) => j.id)).toEqual([a.id]);
      const cancelled = await cancelJob(a.id);
      expect(cancelled.state).toBe("cancelled");
      await complete({ workerId: W, jobs: [{ id: a.id, token: got[0].lease.token, result: 1 }] });
      expect((await store.getJob(a.id))!.state).toBe("cancelled");
      await expect(cancelJob(a.id)).rejects.toBeInstanceOf(InvalidStateError);
      await expect(cancelJob("nope")).rejects.toBeInstanceOf(NotFoundError);
    });

    test("retry brings a failed job back with its attempts reset", async () => {
      const [r] = await enq([job("r", { maxAttempts: 1 })]);
      const [j] = await reserveAll();
      await fail({ workerId: W, id: r.id, token: j.lease.token, error: { attempt: 1, message: "x" } });
      await expect(retryJob("nope")).rejects.toBeInstanceOf(NotFoundError);
      const back = await retryJob(r.id);
      expect(back).toMatchObject({ state: "waiting", attemptsMade: 0 });
      const [again] = await reserveAll();
      expect(again.id).toBe(r.id);
      await expect(retryJob(r.id)).rejects.toBeInstanceOf(InvalidStateError);
    });

    test("remove deletes a job, but not an active one", async () => {
      const [a, b] = await enq([job("a"), job("b", { queue: "low" })]);
      await reserve({ queues: ["default"], workerId: W, max: 1, leaseMs: LEASE });
      await expect(store.removeJob(a.id)).rejects.toBeInstanceOf(InvalidStateError);
      await store.removeJob(b.id);
      expect(await store.getJob(b.id)).toBeUndefined();
      await expect(store.removeJob(b.id)).rejects.toBeInstanceOf(NotFoundError);
      expect(await reserve({ queues: ["low"], workerId: W, max: 1, leaseMs: LEASE })).toEqual([]);
    });

    test("a paused queue is skipped until resumed", async () => {
      await enq([job("d"), job("l", { queue: "low" })]);
      await store.pauseQueue("default");
      expect((await reserveAll()).map((j) => j.name)).toEqual(["l"]);
      const counts = await store.counts(QUEUES);
      expect(counts.find((c) => c.queue === "default")!.paused).toBe(true);
      await store.resumeQueue("default");
      expect((await reserveAll()).map((j) => j.name)).toEqual(["d"]);
    });

    test("counts are per queue and per state, and include empty named queues", async () => {
      const [a, b] = await enq([job("a"), job("b"), job("c", { queue: "low", runAt: clock.now() + 10 })]);
      const [ja] = await reserve({ queues: QUEUES, workerId: W, max: 1, leaseMs: LEASE });
      await complete({ workerId: W, jobs: [{ id: a.id, token: ja.lease.token }] });
      await cancelJob(b.id);
      const byQueue = Object.fromEntries((await store.counts(QUEUES)).map((c) => [c.queue, c]));
      expect(byQueue.critical).toMatchObject({ waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0, cancelled: 0, paused: false });
      expect(byQueue.default).toMatchObject({ waiting: 0, active: 0, completed: 1, cancelled: 1 });
      expect(byQueue.low).toMatchObject({ delayed: 1 });
    });

    test("counts equal a listing of every job after each kind of move; an unnamed queue is listed while it has jobs", async () => {
      const strip = (rows: QueueCounts[]) => rows.map(({ paused: _, ...c }) => c).sort((a, b) => a.queue.localeCompare(b.queue));
      const check = async (after: string) => {
        const counts = await store.counts(QUEUES);
        expect({ after, counts: strip(counts) }).toEqual({ after, counts: strip(await scanCounts(store, QUEUES)) });
        return counts;
      };
      await enq([job("a"), job("b"), job("c", { queue: "low" }), job("d", { queue: "side" }), job("e", { runAt: clock.now() + 1_000 }), job("f", { maxAttempts: 1 })]);
      expect((await check("enqueue")).map((c) => c.queue)).toEqual([...QUEUES, "side"]);
      const held = await reserve({ queues: [...QUEUES, "side"], workerId: W, max: 6, leaseMs: LEASE });
      await check("reserve");
      const by = (name: string) => held.find((j) => j.name === name)!;
      await complete({ workerId: W, jobs: [{ id: by("a").id, token: by("a").lease.token }] });
      await fail({ workerId: W, id: by("f").id, token: by("f").lease.token, error: { attempt: 1, message: "x" } });
      await fail({ workerId: W, id: by("b").id, token: by("b").lease.token, error: { attempt: 1, message: "x" }, retryAt: clock.now() + 500 });
      await store.cancelHeld({ workerId: W, id: by("c").id, token: by("c").lease.token, now: now() });
      await store.release({ workerId: W, jobs: [{ id: by("d").id, token: by("d").lease.token }] });
      await check("complete, fail, fail with a retry, cancelHeld, release");
      // A late or foreign outcome moves nothing.
      await complete({ workerId: "intruder", jobs: [{ id: by("d").id, token: by("d").lease.token }] });
      await check("a fenced completion");
      clock.advance(1_000);
      expect(await store.promoteDue({ limit: 10, now: now() })).toBe(2);
      await check("promote");
      const again = await reserve({ queues: QUEUES, workerId: "w2", max: 10, leaseMs: 1_000 });
      expect(again.length).toBeGreaterThan(0);
      clock.advance(1_001);
      await rescue({ maxStalls: 0, limit: 100 });
      await check("rescue past maxStalls");
      await retryJob(by("a").id);
      expect((await store.retryFailed({ queue: "default", limit: 10, now: now() })).retried).toContain(by("f").id);
      const [g] = await enq([job("g", { queue: "low" })]);
      await cancelJob(g.id);
      await check("retry of a completed job, retryFailed, cancel");
      await store.removeJob(by("c").id);
      const side = (await reserve({ queues: ["side"], workerId: W, max: 1, leaseMs: LEASE }))[0];
      await complete({ workerId: W, jobs: [{ id: side.id, token: side.lease.token }] });
      await check("remove, complete in an unnamed queue");
      await trim({ completedMaxAgeMs: 0, completedMaxCount: 0, failedMaxAgeMs: 0, failedMaxCount: 0 });
      const after = await check("trim");
      // Every job of "side" is gone: it is no longer listed.
      expect(after.map((c) => c.queue)).toEqual(QUEUES);
    });

    test("counts equal a listing of every job after a seeded mixed workload of every kind of move (checked every 40 steps)", async () => {
      const strip = (rows: QueueCounts[]) => rows.map(({ paused: _, ...c }) => c).sort((a, b) => a.queue.localeCompare(b.queue));
      const check = async (step: number) => expect({ step, counts: strip(await store.counts(QUEUES)) }).toEqual({ step, counts: strip(await scanCounts(store, QUEUES)) });
      const r = seeded(17);
      const all = [...QUEUES, "side"];
      const held = new Map<string, { id: string; token: number; workerId: string }>();
      const ids: string[] = [];
      const take = () => {
        const [id, h] = [...held.entries()][r.int(held.size)];
        held.delete(id);
        return h;
      };
      // Admin moves on a job in the wrong state (or already trimmed or removed) are refused, and move nothing.
      const quiet = (p: Promise<unknown>) => p.catch((e: Error) => expect({ refused: e instanceof InvalidStateError || e instanceof NotFoundError, e }).toMatchObject({ refused: true }));
      for (let step = 1; step <= 400; step++) {
        const roll = r.int(100);
        if (roll < 22) {
          const jobs = Array.from({ length: 1 + r.int(6) }, () =>
            job(r.pick(["a", "b"]), { queue: r.pick(all), maxAttempts: 1 + r.int(2), runAt: r.chance(0.2) ? now() + r.int(3_000) : undefined, uniqueKey: r.chance(0.1) ? `k${r.int(3)}` : undefined }),
          );
          for (const x of await enq(jobs)) ids.push(x.id);
        } else if (roll < 44) {
          // A claim, sometimes carrying completions of this worker's jobs.
          const workerId = r.pick(["w1", "w2"]);
          const done = [...held.values()].filter((h) => h.workerId === workerId && r.chance(0.5)).slice(0, 3);
          for (const d of done) held.delete(d.id);
          const got = await reserve({ queues: r.chance(0.3) ? [r.pick(all)] : all, workerId, max: 1 + r.int(4), leaseMs: r.pick([1_000, LEASE]), complete: done.map((d) => ({ id: d.id, token: d.token })) });
          for (const j of got) held.set(j.id, { id: j.id, token: j.lease.token, workerId });
        } else if (roll < 70 && held.size) {
          const h = take();
          const kind = r.int(6);
          if (kind === 0) await complete({ workerId: h.workerId, jobs: [{ id: h.id, token: h.token }] });
          else if (kind === 1) await fail({ workerId: h.workerId, id: h.id, token: h.token, error: { attempt: 1, message: "x" } });
          else if (kind === 2) await fail({ workerId: h.workerId, id: h.id, token: h.token, error: { attempt: 1, message: "x" }, retryAt: now() + r.int(2_000) });
          else if (kind === 3) await store.cancelHeld({ workerId: h.workerId, id: h.id, token: h.token, now: now() });
          else if (kind === 4) await store.release({ workerId: h.workerId, jobs: [{ id: h.id, token: h.token }] });
          // A late outcome from a worker that lost the lease moves nothing.
          else await complete({ workerId: "intruder", jobs: [{ id: h.id, token: h.token }] });
        } else if (roll < 78 && ids.length) {
          const id = r.pick(ids);
          const kind = r.int(3);
          if (kind === 0) await quiet(cancelJob(id));
          else if (kind === 1) await quiet(retryJob(id));
          else await quiet(store.removeJob(id));
        } else if (roll < 82) {
          await store.retryFailed({ queue: r.pick(all), limit: 1 + r.int(3), now: now() });
        } else if (roll < 88) {
          clock.advance(r.int(1_500));
          await store.promoteDue({ limit: 1 + r.int(5), now: now() });
        } else if (roll < 94) {
          clock.advance(r.int(1_500));
          const { rescued, failed } = await rescue({ maxStalls: r.int(2), limit: 1 + r.int(5) });
          for (const id of [...rescued, ...failed]) held.delete(id);
        } else {
          await trim({ completedMaxAgeMs: r.int(5_000), completedMaxCount: r.int(4), failedMaxAgeMs: r.int(5_000), failedMaxCount: r.int(4) });
        }
        if (step % 40 === 0) await check(step);
      }
    });

    test("listJobs filters by state and queue and pages newest first without gaps", async () => {
      for (let i = 0; i < 25; i++) {
        await enq([job(`n${i}`, { queue: i % 5 === 0 ? "low" : "default" })]);
        clock.advance(i % 3 === 0 ? 0 : 1);
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listJobs({ limit: 7, cursor });
        expect(page.jobs.length).toBeLessThanOrEqual(7);
        seen.push(...page.jobs.map((j) => j.name));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `n${24 - i}`));
      const low = await store.listJobs({ queue: "low", limit: 100 });
      expect(low.jobs.map((j) => j.name)).toEqual(["n20", "n15", "n10", "n5", "n0"]);
      expect(low.nextCursor).toBeUndefined();
      expect((await store.listJobs({ state: "active", limit: 100 })).jobs).toEqual([]);
      expect((await store.listJobs({ name: "n3", limit: 100 })).jobs.map((j) => j.name)).toEqual(["n3"]);
    });

    test("trim keeps completed jobs by count and age, failed jobs by age", async () => {
      const ids = (await enq(Array.from({ length: 6 }, (_, i) => job(`t${i}`, { maxAttempts: 1 })))).map((r) => r.id);
      const got = await reserveAll();
      for (const j of got.slice(0, 4)) {
        await complete({ workerId: W, jobs: [{ id: j.id, token: j.lease.token }] });
        clock.advance(1_000);
      }
      for (const j of got.slice(4)) await fail({ workerId: W, id: j.id, token: j.lease.token, error: { attempt: 1, message: "x" } });
      const policy = { completedMaxAgeMs: 3_500, completedMaxCount: 3, failedMaxAgeMs: 10_000, failedMaxCount: 100 };
      expect(await trim(policy)).toBe(1);
      expect(await store.getJob(ids[0])).toBeUndefined();
      expect(await store.getJob(ids[1])).toBeDefined();
      clock.advance(1_000);
      expect(await trim(policy)).toBe(1);
      expect(await store.getJob(ids[1])).toBeUndefined();
      clock.advance(10_001);
      expect(await trim(policy)).toBe(4);
      expect((await store.listJobs({ limit: 100 })).jobs).toEqual([]);
    });

    const countsByQueue = async () => Object.fromEntries((await store.counts(QUEUES)).map((c) => [c.queue, c]));

    test("trim removes cancelled jobs by the failed limits, counted per queue apart from failed jobs", async () => {
      const [f0, f1] = await enq([job("f0", { maxAttempts: 1 }), job("f1", { maxAttempts: 1 })]);
      for (const j of await reserveAll()) await fail({ workerId: W, id: j.id, token: j.lease.token, error: { attempt: 1, message: "x" } });
      const [c0, c1, c2, c3, l0] = (await enq([job("c0"), job("c1"), job("c2"), job("c3"), job("l0", { queue: "low" })])).map((r) => r.id);
      for (const id of [c0, c1, c2]) {
        await cancelJob(id);
        clock.advance(1_000);
      }
      // c3 is cancelled while active; its worker's late complete changes nothing.
      const [held] = await reserve({ queues: ["default"], workerId: W, max: 1, leaseMs: LEASE });
      expect(held.id).toBe(c3);
      await cancelJob(c3);
      await cancelJob(l0);
      await complete({ workerId: W, jobs: [{ id: c3, token: held.lease.token }] });
      expect(await countsByQueue()).toMatchObject({ default: { failed: 2, cancelled: 4 }, low: { cancelled: 1 } });

      const policy = { completedMaxAgeMs: 100_000, completedMaxCount: 100, failedMaxAgeMs: 10_000, failedMaxCount: 2 };
      // By count: the two oldest cancelled jobs of "default" go; both failed jobs and "low"'s job stay.
      expect(await trim(policy)).toBe(2);
      expect(await store.getJob(c0)).toBeUndefined();
      expect(await store.getJob(c1)).toBeUndefined();
      for (const id of [c2, c3, l0, f0.id, f1.id]) expect(await store.getJob(id)).toBeDefined();
      expect(await countsByQueue()).toMatchObject({ default: { waiting: 0, active: 0, failed: 2, cancelled: 2 }, low: { cancelled: 1 } });
      expect(await trim(policy)).toBe(0);

      // By age (now = c0's cancel + 12_001): failed jobs and c2 are past 10 s; c3 and l0 are not yet.
      clock.advance(9_001);
      expect(await trim(policy)).toBe(3);
      expect((await store.listJobs({ limit: 100 })).jobs.map((j) => j.id).sort()).toEqual([c3, l0].sort());
      expect(await countsByQueue()).toMatchObject({ default: { failed: 0, cancelled: 1 }, low: { cancelled: 1 } });

      clock.advance(1_000);
      expect(await trim(policy)).toBe(2);
      expect((await store.listJobs({ limit: 100 })).jobs).toEqual([]);
      for (const c of Object.values(await countsByQueue())) {
        expect(c).toMatchObject({ waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0, cancelled: 0 });
      }
    });

    test("a cancelled job that is retried or removed leaves nothing stale for trim", async () => {
      const [r, x, k, again] = (await enq([job("r"), job("x"), job("k"), job("again")])).map((res) => res.id);
      for (const id of [r, x, k, again]) await cancelJob(id);
      // r: retried and completed; x: removed; again: retried and cancelled once more, 5 s later.
      await retryJob(r);
      await retryJob(again);
      const [j] = await reserve({ queues: ["default"], workerId: W, max: 1, leaseMs: LEASE });
      expect(j.id).toBe(r);
      await complete({ workerId: W, jobs: [{ id: r, token: j.lease.token }] });
      await store.removeJob(x);
      clock.advance(5_000);
      await cancelJob(again);
      expect(await countsByQueue()).toMatchObject({ default: { waiting: 0, completed: 1, cancelled: 2 } });

      // Only k is older than 4 s; `again` is aged from its second cancel; r is completed now.
      const policy = { completedMaxAgeMs: 100_000, completedMaxCount: 100, failedMaxAgeMs: 4_000, failedMaxCount: 100 };
      expect(await trim(policy)).toBe(1);
      expect(await store.getJob(k)).toBeUndefined();
      expect(await store.getJob(again)).toMatchObject({ state: "cancelled" });
      expect(await store.getJob(r)).toMatchObject({ state: "completed" });
      expect(await countsByQueue()).toMatchObject({ default: { waiting: 0, completed: 1, cancelled: 1 } });

      // A cancelled count of 0 takes `again`, and nothing else.
      expect(await trim({ ...policy, failedMaxCount: 0 })).toBe(1);
      expect(await store.getJob(r)).toMatchObject({ state: "completed" });
      expect(await countsByQueue()).toMatchObject({ default: { completed: 1, cancelled: 0 } });

      // r goes once, by the completed policy.
      clock.advance(100_001);
      expect(await trim(policy)).toBe(1);
      expect(await trim(policy)).toBe(0);
      expect((await store.listJobs({ limit: 100 })).jobs).toEqual([]);
      for (const c of Object.values(await countsByQueue())) {
        expect(c).toMatchObject({ waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0, cancelled: 0 });
      }
    });

    test("leader lease: one holder at a time, renewal keeps the token, takeover bumps it", async () => {
      const a = await acquire({ name: "scheduler", holder: "a", ttlMs: 30_000 });
      expect(a).toMatchObject({ holder: "a", until: clock.now() + 30_000 });
      expect(await acquire({ name: "scheduler", holder: "b", ttlMs: 30_000 })).toBeUndefined();
      clock.advance(10_000);
      const renewed = await acquire({ name: "scheduler", holder: "a", ttlMs: 30_000 });
      expect(renewed!.token).toBe(a!.token);
      expect(renewed!.until).toBe(clock.now() + 30_000);
      clock.advance(30_001);
      expect(await leaderGet("scheduler")).toBeUndefined();
      const b = await acquire({ name: "scheduler", holder: "b", ttlMs: 30_000 });
      expect(b!.holder).toBe("b");
      expect(b!.token).toBeGreaterThan(a!.token);
      expect(await leaderGet("scheduler")).toEqual(b);
      await store.leaderRelease({ name: "scheduler", holder: "a" });
      expect((await leaderGet("scheduler"))!.holder).toBe("b");
      await store.leaderRelease({ name: "scheduler", holder: "b" });
      expect(await leaderGet("scheduler")).toBeUndefined();
      const c = await acquire({ name: "scheduler", holder: "c", ttlMs: 30_000 });
      expect(c!.token).toBeGreaterThan(b!.token);
    });

    const info = (id: string): WorkerInfo => ({ id, host: "h", pid: 1, role: "all", queues: QUEUES, concurrency: 5, jobs: ["a"], startedAt: clock.now(), heartbeatAt: clock.now(), running: [] });

    test("workers: live while the heartbeat holds, listed as lapsed for 10 minutes after, removed at once on request", async () => {
      await heartbeat(info("w1"), 10_000);
      await heartbeat({ ...info("w2"), running: ["j1"] }, 60_000);
      const first = await listWorkers();
      expect(first.map((w) => w.id).sort()).toEqual(["w1", "w2"]);
      expect(first.find((w) => w.id === "w2")).toMatchObject({ running: ["j1"], jobs: ["a"], expiresAt: clock.now() + 60_000 });
      clock.advance(10_001);
      const later = await listWorkers();
      expect(later.find((w) => w.id === "w1")!.expiresAt).toBeLessThan(clock.now());
      expect(later.find((w) => w.id === "w2")!.expiresAt).toBeGreaterThan(clock.now());
      await store.workerRemove("w2");
      expect((await listWorkers()).map((w) => w.id)).toEqual(["w1"]);
      clock.advance(DEAD_WORKER_KEEP_MS);
      expect(await listWorkers()).toEqual([]);
    });

    test("a worker whose heartbeat lapsed has its jobs rescued at once, before their leases run out", async () => {
      const [a, b] = await enq([job("a"), job("b")]);
      await heartbeat(info("dies"), 6_000);
      await heartbeat(info("lives"), 6_000);
      const [ja] = await reserve({ queues: QUEUES, workerId: "dies", max: 1, leaseMs: LEASE });
      const [jb] = await reserve({ queues: QUEUES, workerId: "lives", max: 1, leaseMs: LEASE });
      expect([ja.id, jb.id]).toEqual([a.id, b.id]);
      clock.advance(5_000);
      await heartbeat(info("lives"), 6_000);
      expect(await rescue({ maxStalls: 2, limit: 100 })).toEqual({ rescued: [], failed: [] });
      clock.advance(1_001);
      expect(await rescue({ maxStalls: 2, limit: 100 })).toEqual({ rescued: [a.id], failed: [] });
      expect(await store.getJob(a.id)).toMatchObject({ state: "waiting", stalls: 1 });
      expect(await store.getJob(b.id)).toMatchObject({ state: "active" });
      // The slow worker was only slow: its late outcome cannot land over the job's next run.
      const [again] = await reserve({ queues: QUEUES, workerId: "lives", max: 1, leaseMs: LEASE });
      expect(again.id).toBe(a.id);
      await complete({ workerId: "dies", jobs: [{ id: a.id, token: ja.lease.token, result: "stale" }] });
      expect(await store.getJob(a.id)).toMatchObject({ state: "active", lease: { workerId: "lives" } });
    });

    test("schedules: the last slot only moves forward; pause is kept", async () => {
      await store.scheduleRecordSlot("tick", 2_000, "cron:tick:2000");
      await store.scheduleRecordSlot("tick", 1_000, "cron:tick:1000");
      await store.scheduleSetPaused("nightly", true);
      const states = Object.fromEntries((await store.scheduleStates()).map((s) => [s.name, s]));
      expect(states.tick).toMatchObject({ lastSlot: 2_000, lastJobId: "cron:tick:2000", paused: false });
      expect(states.nightly).toMatchObject({ paused: true });
      await store.scheduleSetPaused("nightly", false);
      expect((await store.scheduleStates()).find((s) => s.name === "nightly")!.paused).toBe(false);
    });

    test("waitForWork returns at once when work is ready, on enqueue, and on abort", async () => {
      const ctl = new AbortController();
      await enq([job("ready")]);
      await store.waitForWork({ queues: QUEUES, signal: ctl.signal, maxWaitMs: 60_000 });
      await reserveAll();

      const woke = store.waitForWork({ queues: QUEUES, signal: ctl.signal, maxWaitMs: 60_000 }).then(() => "woke");
      await enq([job("new")]);
      expect(await within(woke, 10_000, "waitForWork after enqueue")).toBe("woke");
      await reserveAll();

      const aborted = store.waitForWork({ queues: QUEUES, signal: ctl.signal, maxWaitMs: 60_000 }).then(() => "returned");
      ctl.abort();
      expect(await within(aborted, 10_000, "waitForWork after abort")).toBe("returned");
    });

    test("cancelHeld is fenced: a worker whose lease passed to another cannot cancel the new run", async () => {
      const [r] = await enq([job("c")]);
      const [first] = await reserve({ queues: QUEUES, workerId: "slow", max: 1, leaseMs: LEASE });
      clock.advance(LEASE + 1);
      expect(await rescue({ maxStalls: 5, limit: 100 })).toEqual({ rescued: [r.id], failed: [] });
      const [second] = await reserve({ queues: QUEUES, workerId: "fast", max: 1, leaseMs: LEASE });
      expect(second.id).toBe(r.id);
      await store.cancelHeld({ workerId: "slow", id: r.id, token: first.lease.token, now: now() });
      expect(await store.getJob(r.id)).toMatchObject({ state: "active", lease: { workerId: "fast" } });
      await store.cancelHeld({ workerId: "fast", id: r.id, token: second.lease.token, now: now() });
      expect(await store.getJob(r.id)).toMatchObject({ state: "cancelled", finishedAt: clock.now() });
      // A cancelled job frees its unique key like any finished one.
      const [u] = await enq([job("u", { uniqueKey: "k" })]);
      const [ju] = await reserveAll();
      await store.cancelHeld({ workerId: W, id: u.id, token: ju.lease.token, now: now() });
      expect((await enq([job("u", { uniqueKey: "k" })]))[0].deduplicated).toBe(false);
    });

    test("reserve records the completions it is given before it claims, in one call", async () => {
      const [a, b] = await enq([job("a"), job("b")]);
      const [ja] = await reserve({ queues: QUEUES, workerId: W, max: 1, leaseMs: LEASE });
      clock.advance(10);
      const got = await reserve({ queues: QUEUES, workerId: W, max: 5, leaseMs: LEASE, complete: [{ id: ja.id, token: ja.lease.token, result: { ok: 1 } }] });
      expect(got.map((j) => j.id)).toEqual([b.id]);
      expect(await store.getJob(a.id)).toMatchObject({ state: "completed", result: { ok: 1 }, finishedAt: clock.now(), attemptsMade: 1 });
      // A stale completion rides along harmlessly: the job is not this worker's any more.
      const nothing = await reserve({ queues: QUEUES, workerId: "other", max: 5, leaseMs: LEASE, complete: [{ id: b.id, token: got[0].lease.token }] });
      expect(nothing).toEqual([]);
      expect((await store.getJob(b.id))!.state).toBe("active");
    });

    test("reserve with names claims only those jobs; the others keep their place for a worker that has them", async () => {
      await enq([job("known-1"), job("unknown"), job("known-2")]);
      const mine = await reserve({ queues: QUEUES, workerId: W, max: 10, leaseMs: LEASE, names: ["known-1", "known-2"] });
      expect(mine.map((j) => j.name)).toEqual(["known-1", "known-2"]);
      expect(await reserve({ queues: QUEUES, workerId: W, max: 10, leaseMs: LEASE, names: ["known-1"] })).toEqual([]);
      const theirs = await reserve({ queues: QUEUES, workerId: "newer", max: 10, leaseMs: LEASE, names: ["unknown"] });
      expect(theirs.map((j) => j.name)).toEqual(["unknown"]);
      expect((await store.getJob(theirs[0].id))!.attemptsMade).toBe(0);
    });

    test("a paused queue keeps its due delayed jobs until resumed, and waiting for work does not spin on them", async () => {
      const [d] = await enq([job("later", { runAt: clock.now() + 1_000 })]);
      await store.pauseQueue("default");
      clock.advance(1_000);
      expect(await reserveAll()).toEqual([]);
      // Due, but in a paused queue: after one look, a waiter sleeps until its limit.
      const t0 = performance.now();
      await store.waitForWork({ queues: QUEUES, signal: new AbortController().signal, maxWaitMs: 200 });
      await store.waitForWork({ queues: QUEUES, signal: new AbortController().signal, maxWaitMs: 200 });
      expect(performance.now() - t0).toBeGreaterThanOrEqual(150);
      await store.resumeQueue("default");
      expect((await reserveAll()).map((j) => j.id)).toEqual([d.id]);
    });

    test("retry of a completed job takes its unique key again, and is refused while another live job holds it", async () => {
      const [first] = await enq([job("u", { uniqueKey: "k", uniqueTtlMs: 60_000 })]);
      const [j] = await reserveAll();
      await complete({ workerId: W, jobs: [{ id: first.id, token: j.lease.token }] });
      const retried = await retryJob(first.id);
      expect(retried).toMatchObject({ state: "waiting", uniqueKey: "k" });
      expect(await enq([job("u", { uniqueKey: "k" })])).toEqual([{ id: first.id, deduplicated: true }]);
      // Once it finished again, a new job takes the key; retrying the old one now would make two live holders.
      const [j2] = await reserveAll();
      await complete({ workerId: W, jobs: [{ id: first.id, token: j2.lease.token }] });
      const [second] = await enq([job("u", { uniqueKey: "k" })]);
      expect(second.deduplicated).toBe(false);
      await expect(retryJob(first.id)).rejects.toBeInstanceOf(InvalidStateError);
      expect((await store.getJob(first.id))!.state).toBe("completed");
    });

    /** Fails each job (one try allowed) at its own time, in the given order; returns their ids. */
    async function failInOrder(jobs: NewJob[]): Promise<string[]> {
      const ids: string[] = [];
      for (const spec of jobs) {
        const [r] = await enq([{ ...spec, maxAttempts: 1 }]);
        const [j] = await reserve({ queues: [spec.queue], workerId: W, max: 1, leaseMs: LEASE });
        expect(j.id).toBe(r.id);
        await fail({ workerId: W, id: r.id, token: j.lease.token, error: { attempt: 1, message: "x" } });
        clock.advance(10);
        ids.push(r.id);
      }
      return ids;
    }

    test("retryFailed retries one queue's failed jobs, oldest failure first, up to the limit, each as retryJob would", async () => {
      const failed = await failInOrder([job("f1"), job("f2"), job("f3"), job("other-queue", { queue: "low" })]);
      const [done] = await enq([job("done")]);
      const [d] = await reserve({ queues: ["default"], workerId: W, max: 1, leaseMs: LEASE });
      await complete({ workerId: W, jobs: [{ id: done.id, token: d.lease.token }] });
      const [waiting] = await enq([job("waiting")]);

      const first = await store.retryFailed({ queue: "default", limit: 2, now: now() });
      expect(first).toEqual({ retried: [failed[0], failed[1]], skipped: [] });
      const rest = await store.retryFailed({ queue: "default", limit: 1000, now: now() });
      expect(rest).toEqual({ retried: [failed[2]], skipped: [] });
      expect(await store.retryFailed({ queue: "default", limit: 1000, now: now() })).toEqual({ retried: [], skipped: [] });

      for (const id of failed.slice(0, 3)) {
        expect(await store.getJob(id)).toMatchObject({ state: "waiting", attemptsMade: 0, stalls: 0, runAt: now() });
        expect((await store.getJob(id))!.finishedAt).toBeUndefined();
      }
      expect((await store.getJob(failed[3]))!.state).toBe("failed");
      expect((await store.getJob(done.id))!.state).toBe("completed");
      const [counts] = (await store.counts(["default"])).filter((c) => c.queue === "default");
      expect(counts).toMatchObject({ waiting: 4, failed: 0, completed: 1 });
      // Back of the line, in the order they failed: after the job that was already waiting.
      const got = await reserve({ queues: ["default"], workerId: W, max: 10, leaseMs: LEASE });
      expect(got.map((j) => j.id)).toEqual([waiting.id, failed[0], failed[1], failed[2]]);
    });

    test("retryFailed skips a job whose unique key another live job holds, and it stays failed", async () => {
      const [old, plain] = await failInOrder([job("u", { uniqueKey: "k" }), job("p")]);
      const [holder] = await enq([job("u", { uniqueKey: "k" })]);
      expect(holder.deduplicated).toBe(false);
      expect(await store.retryFailed({ queue: "default", limit: 10, now: now() })).toEqual({ retried: [plain], skipped: [old] });
      expect((await store.getJob(old))!.state).toBe("failed");
      expect(await enq([job("u", { uniqueKey: "k" })])).toEqual([{ id: holder.id, deduplicated: true }]);
      expect(await store.retryFailed({ queue: "nope", limit: 10, now: now() })).toEqual({ retried: [], skipped: [] });
      expect(await store.retryFailed({ queue: "default", limit: 0, now: now() })).toEqual({ retried: [], skipped: [] });
    });

    test("enqueue stamps createdAt with the caller's now, read once: runAt and createdAt agree", async () => {
      const at = clock.now();
      const [r] = await store.enqueue({ jobs: [job("t", { runAt: at + 300_000 })], now: at });
      clock.advance(5);
      expect(await store.getJob(r.id)).toMatchObject({ createdAt: at, runAt: at + 300_000, state: "delayed" });
    });

    test("waitForWork never rejects: after close it resolves at once", async () => {
      await store.close();
      await within(store.waitForWork({ queues: QUEUES, signal: new AbortController().signal, maxWaitMs: 60_000 }), 5_000, "waitForWork on a closed store");
    });

    test("appendLogs keeps a job's last lines while its lease holds; a claim does not carry them; a retry clears them", async () => {
      const [r] = await enq([job("chatty", { maxAttempts: 1 })]);
      const [j] = await reserveAll();
      const line = (n: number) => ({ at: clock.now(), attempt: 1, level: "info" as const, msg: `line ${n}`, fields: { n, tags: [] as string[] } });
      await store.appendLogs({ id: r.id, token: j.lease.token, lines: [line(0), line(1)] });
      await store.appendLogs({ id: r.id, token: j.lease.token + 1, lines: [line(99)] });
      await store.appendLogs({ id: r.id, token: j.lease.token, lines: Array.from({ length: JOB_LOG_LINES_KEPT }, (_, i) => line(i + 2)) });
      const logs = (await store.getJob(r.id))!.logs!;
      expect(logs.length).toBe(JOB_LOG_LINES_KEPT);
      expect(logs[0]).toEqual(line(2));
      expect(logs.at(-1)).toEqual(line(JOB_LOG_LINES_KEPT + 1));
      await fail({ workerId: W, id: r.id, token: j.lease.token, error: { attempt: 1, message: "x" } });
      expect((await store.getJob(r.id))!.logs!.length).toBe(JOB_LOG_LINES_KEPT);
      await retryJob(r.id);
      expect((await store.getJob(r.id))!.logs).toBeUndefined();
      const [again] = await reserveAll();
      await store.appendLogs({ id: r.id, token: again.lease.token, lines: [line(7)] });
      clock.advance(1);
      await fail({ workerId: W, id: r.id, token: again.lease.token, error: { attempt: 1, message: "y" } });
      await retryJob(r.id);
      const [third] = await reserveAll();
      expect(third.logs).toBeUndefined();
    });

    test("appendLogs keeps the last `keep` lines when the caller sets it (limits.jobLogLines)", async () => {
      const [r] = await enq([job("chatty", { maxAttempts: 1 })]);
      const [j] = await reserveAll();
      const line = (n: number) => ({ at: clock.now(), attempt: 1, level: "info" as const, msg: `line ${n}` });
      await store.appendLogs({ id: r.id, token: j.lease.token, lines: [line(0), line(1), line(2)], keep: 5 });
      await store.appendLogs({ id: r.id, token: j.lease.token, lines: [line(3), line(4), line(5), line(6)], keep: 5 });
      expect((await store.getJob(r.id))!.logs!.map((l) => l.msg)).toEqual(["line 2", "line 3", "line 4", "line 5", "line 6"]);
    });

    if (opts.flow !== false) describeFlowContract(() => ({ store, clock }), { groups: opts.groups !== false });
  });
}
