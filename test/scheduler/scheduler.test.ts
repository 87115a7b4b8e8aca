// The scheduler end to end with a fake clock moved by hand: two schedulers on one store
// (memory, and a real SQLite file with two connections), cron slots enqueued exactly once
// across a leader handover, a deposed leader's late insert, overlap, pause/resume, catch-up,
// the clock going backwards, and the schedule listing.

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { FakeClock } from "../../src/core/clock.ts";
import { JobLoadError, NotFoundError } from "../../src/core/errors.ts";
import { silentLogger } from "../../src/core/logger.ts";
import type { ConfigInput } from "../../src/config/schema.ts";
import type { Registry } from "../../src/registry/registry.ts";
import { CronService, type CronEvents } from "../../src/scheduler/cron.ts";
import { Scheduler } from "../../src/scheduler/scheduler.ts";
import { LocalOperations } from "../../src/ops/local.ts";
import type { ScheduleInfo } from "../../src/ops/operations.ts";
import type { Store } from "../../src/store/store.ts";
import { within } from "../helpers/wait.ts";
import { afterTest, cleanupAll, flaky, makeConfig, makeRegistry, memoryKit, REPORT_JOB, sqliteKit, TICK_JOB, type StoreKit } from "./helpers.ts";

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const SECOND = 1_000;
/** Every second, and no worker runs in these tests, so overlap must allow. */
const EVERY = { name: "every", job: "report", cron: "* * * * * *", payload: { kind: "e" }, overlap: "allow" as const };

afterEach(cleanupAll);

/** The operations layer beside each scheduler: listing and pausing schedules is its job, read from the store. */
const opsOf = new WeakMap<Scheduler, LocalOperations>();
const listSchedules = async (s: Scheduler): Promise<ScheduleInfo[]> => (await opsOf.get(s)!.schedules()).schedules;
const leaderOf = async (s: Scheduler) => (await opsOf.get(s)!.schedules()).leader;

const kits: StoreKit[] = [memoryKit];
const sqlite = await sqliteKit();
if (sqlite) kits.push(sqlite);

for (const kit of kits) {
  describe(`Scheduler on ${kit.label}`, () => {
    let clock: FakeClock;
    let stores: [Store, Store];
    let registry: Registry;

    beforeEach(async () => {
      // 300 ms past a second, so "now" never sits exactly on a slot by accident.
      clock = new FakeClock(T0 + 300);
      stores = await kit.open(clock);
      registry = await makeRegistry({ "tick.ts": TICK_JOB, "report.ts": REPORT_JOB });
    });

    function scheduler(holderId: string, store: Store, config: ConfigInput = {}): Scheduler {
      const cfg = makeConfig(config);
      const withConfig = registry.withSchedules(cfg.schedules).assertValid();
      const made = new Scheduler({ store, registry: withConfig, config: cfg, clock, log: silentLogger, holderId });
      opsOf.set(made, new LocalOperations({ store, clock, registry: withConfig }));
      afterTest(() => made.stop());
      return made;
    }

    async function startLeader(s: Scheduler): Promise<void> {
      const active = s.events.once("scheduler:role", (p) => p.active);
      s.start();
      await within(active, 5_000, `${s.holderId} becoming leader`);
    }

    async function startStandby(s: Scheduler): Promise<void> {
      const checked = s.events.once("leader:checked");
      s.start();
      expect((await within(checked, 5_000, `${s.holderId}'s first election attempt`)).leader).toBe(false);
    }

    /** Moves the clock one second and waits until `by` has dealt with that second's slot of `schedule`. */
    async function nextSecond(by: Scheduler, others: Scheduler[], schedule = "every"): Promise<CronEvents["cron:enqueued"] | CronEvents["cron:skipped"]> {
      clock.advance(SECOND);
      const slot = Math.floor(clock.now() / SECOND) * SECOND;
      const handled = new Promise<CronEvents["cron:enqueued"] | CronEvents["cron:skipped"]>((resolve) => {
        const offs = [
          by.events.on("cron:enqueued", (p) => p.schedule === schedule && p.slot === slot && (offs.forEach((f) => f()), resolve(p))),
          by.events.on("cron:skipped", (p) => p.schedule === schedule && p.slot === slot && (offs.forEach((f) => f()), resolve(p))),
        ];
      });
      by.wake();
      for (const o of others) o.wake();
      return within(handled, 5_000, `${by.holderId} handling slot ${new Date(slot).toISOString()}`);
    }

    test("two schedulers, an every-second schedule and a handover: each slot is enqueued exactly once", async () => {
      const a = scheduler("a", stores[0], { schedules: [EVERY] });
      const b = scheduler("b", stores[1], { schedules: [EVERY] });
      const inserted: { by: string; slot: number; id: string }[] = [];
      a.events.on("cron:enqueued", (p) => p.schedule === "every" && inserted.push({ by: "a", ...p }));
      b.events.on("cron:enqueued", (p) => p.schedule === "every" && inserted.push({ by: "b", ...p }));

      await startLeader(a);
      await startStandby(b);
      // First start: no past slot runs.
      expect(inserted).toEqual([]);

      for (let i = 0; i < 5; i++) await nextSecond(a, [b]);
      await a.stop(); // releases the lease
      const bActive = b.events.once("scheduler:role", (p) => p.active);
      for (let i = 0; i < 5; i++) await nextSecond(b, [a]);
      await bActive;

      const slots = inserted.map((e) => e.slot);
      expect(slots).toEqual(Array.from({ length: 10 }, (_, i) => T0 + (i + 1) * SECOND));
      expect(inserted.map((e) => e.by)).toEqual([..."aaaaabbbbb"]);
      for (const e of inserted) expect(e.id).toBe(`cron:every:${e.slot}`);
      const page = await stores[0].listJobs({ name: "report", limit: 100 });
      expect(page.jobs.map((j) => j.id).sort()).toEqual(inserted.map((e) => e.id).sort());
      const listed = (await listSchedules(b)).find((s) => s.name === "every")!;
      expect(listed.lastSlot).toBe(T0 + 10 * SECOND);
    });

    test("a leader that loses the store steps down after the TTL and the standby carries on from the last slot", async () => {
      const flakyA = flaky(stores[0]);
      const a = scheduler("a", flakyA.store, { schedules: [EVERY] });
      const b = scheduler("b", stores[1], { schedules: [EVERY] });
      await startLeader(a);
      await startStandby(b);
      await nextSecond(a, [b]);

      // b renews on its own (real) timer too, so it may take over before it is woken: listen first.
      const bActive = b.events.once("scheduler:role", (p) => p.active);
      const enqueued = b.events.once("cron:enqueued", (p) => p.schedule === "every");
      flakyA.failing.add("leaderAcquire");
      const lost = a.events.once("scheduler:role", (p) => !p.active);
      clock.advance(2 * SECOND); // past the 1.5 s TTL
      a.wake();
      await within(lost, 5_000, "a stepping down");
      expect(a.isLeader()).toBe(false);

      b.wake();
      await within(bActive, 5_000, "b taking over");
      // Default catch-up: only the latest of the two missed slots.
      expect((await within(enqueued, 5_000, "b's first slot")).slot).toBe(T0 + 3 * SECOND);
      expect((await leaderOf(b))?.holder).toBe("b");
      const ids = (await stores[1].listJobs({ name: "report", limit: 100 })).jobs.map((j) => j.id).sort();
      expect(ids).toEqual([`cron:every:${T0 + SECOND}`, `cron:every:${T0 + 3 * SECOND}`]);
    });

    test("a deposed leader's late insert of a slot is a no-op", async () => {
      const b = scheduler("b", stores[1]);
      await startLeader(b);
      // What the old leader read before it was deposed: the schedule state without the coming slot.
      const staleStates = await stores[0].scheduleStates();
      await nextSecond(b, [], "tick");
      const before = await stores[0].getJob(`cron:tick:${T0 + SECOND}`);
      expect(before).toBeDefined();

      // The old leader still believes it leads (a GC pause between its check and its insert) and acts on its stale view.
      // It has been running since T0 (its own clock), so its first-seen anchor is T0.
      const staleClock = new FakeClock(T0);
      const stale = new CronService({
        store: new Proxy(stores[0], {
          get: (t, k) => (k === "scheduleStates" ? async () => staleStates : typeof (t as any)[k] === "function" ? (t as any)[k].bind(t) : (t as any)[k]),
        }),
        registry,
        clock: staleClock,
        log: silentLogger,
        isLeader: () => true,
      });
      staleClock.set(clock.now());
      const skipped: CronEvents["cron:skipped"][] = [];
      stale.events.on("cron:skipped", (p) => skipped.push(p));
      stale.events.on("cron:enqueued", () => {
        throw new Error("unreachable");
      });
      await stale.runDue();

      expect(skipped).toEqual([{ schedule: "tick", slot: T0 + SECOND, reason: "exists", id: `cron:tick:${T0 + SECOND}` }]);
      expect(await stores[0].getJob(`cron:tick:${T0 + SECOND}`)).toEqual(before);
      expect((await stores[0].listJobs({ name: "tick", limit: 100 })).jobs.length).toBe(1);
      expect((await stores[0].scheduleStates()).find((s) => s.name === "tick")?.lastSlot).toBe(T0 + SECOND);
    });

    test("overlap skip: no new run while the previous one is still waiting", async () => {
      const a = scheduler("a", stores[0]);
      await startLeader(a);
      const first = await nextSecond(a, [], "tick");
      expect(first).toEqual({ schedule: "tick", slot: T0 + SECOND, id: `cron:tick:${T0 + SECOND}` });

      for (let i = 2; i <= 3; i++) {
        expect(await nextSecond(a, [], "tick")).toEqual({ schedule: "tick", slot: T0 + i * SECOND, reason: "overlap", id: `cron:tick:${T0 + SECOND}` });
      }
      let listed = (await listSchedules(a)).find((s) => s.name === "tick")!;
      expect(listed).toMatchObject({ lastSlot: T0 + 3 * SECOND, lastJobId: `cron:tick:${T0 + SECOND}`, lastOutcome: "waiting" });

      // Still pending while active; free again once it completes.
      const [job] = await stores[0].reserve({ queues: ["default"], workerId: "w", max: 1, leaseMs: 30_000, now: clock.now() });
      expect((await nextSecond(a, [], "tick")) as CronEvents["cron:skipped"]).toMatchObject({ reason: "overlap" });
      await stores[0].complete({ workerId: "w", jobs: [{ id: job.id, token: job.lease.token }], now: clock.now() });
      listed = (await listSchedules(a)).find((s) => s.name === "tick")!;
      expect(listed.lastOutcome).toBe("completed");
      expect(await nextSecond(a, [], "tick")).toEqual({ schedule: "tick", slot: T0 + 5 * SECOND, id: `cron:tick:${T0 + 5 * SECOND}` });
    });

    test("overlap allow enqueues every slot", async () => {
      const a = scheduler("a", stores[0], {
        schedules: [{ name: "reports", job: "report", cron: "* * * * * *", payload: { kind: "x" }, overlap: "allow" }],
      });
      await startLeader(a);
      for (let i = 1; i <= 3; i++) {
        expect(await nextSecond(a, [], "reports")).toEqual({ schedule: "reports", slot: T0 + i * SECOND, id: `cron:reports:${T0 + i * SECOND}` });
      }
      const jobs = (await stores[0].listJobs({ name: "report", limit: 10 })).jobs;
      expect(jobs.map((j) => j.data)).toEqual([{ kind: "x" }, { kind: "x" }, { kind: "x" }]);
    });

    test("pause and resume: paused slots are skipped and not run later", async () => {
      const a = scheduler("a", stores[0], {
        schedules: [{ name: "reports", job: "report", cron: "* * * * * *", payload: { kind: "x" }, overlap: "allow" }],
      });
      await startLeader(a);
      await nextSecond(a, [], "reports");

      await opsOf.get(a)!.pauseSchedule("reports");
      let listed = (await listSchedules(a)).find((s) => s.name === "reports")!;
      expect(listed.paused).toBe(true);
      expect(listed.nextRun).toBeUndefined();
      for (let i = 2; i <= 4; i++) expect(await nextSecond(a, [], "reports")).toMatchObject({ slot: T0 + i * SECOND, reason: "paused" });

      // Resumed 2.5 s later: the slots missed meanwhile do not run; the next one does.
      clock.advance(2_500);
      await opsOf.get(a)!.resumeSchedule("reports");
      listed = (await listSchedules(a)).find((s) => s.name === "reports")!;
      expect(listed.paused).toBe(false);
      expect(await nextSecond(a, [], "reports")).toMatchObject({ slot: T0 + 7 * SECOND, id: `cron:reports:${T0 + 7 * SECOND}` });
      const ids = (await stores[0].listJobs({ name: "report", limit: 10 })).jobs.map((j) => j.id);
      expect(ids.sort()).toEqual([`cron:reports:${T0 + SECOND}`, `cron:reports:${T0 + 7 * SECOND}`]);

      await expect(opsOf.get(a)!.pauseSchedule("nope")).rejects.toBeInstanceOf(NotFoundError);
      await expect(opsOf.get(a)!.resumeSchedule("nope")).rejects.toThrow(/no schedule named "nope"; schedules: .*reports/);
    });

    test("catch-up window after downtime: the missed slots inside it run, each once", async () => {
      // Down for 3 h: the last slot run was 09:00; the window is 2 h.
      clock.set(Date.UTC(2026, 5, 1, 12, 0, 30));
      await stores[0].scheduleRecordSlot("hourly", Date.UTC(2026, 5, 1, 9), "old");
      const a = scheduler("a", stores[0], {
        schedules: [{ name: "hourly", job: "report", cron: "0 * * * *", payload: { kind: "h" }, catchUp: "2h" }],
      });
      const seen: number[] = [];
      a.events.on("cron:enqueued", (p) => p.schedule === "hourly" && seen.push(p.slot));
      const round = a.events.once("cron:round");
      await startLeader(a);
      await within(round, 5_000, "the first cron pass");
      expect(seen).toEqual([Date.UTC(2026, 5, 1, 11), Date.UTC(2026, 5, 1, 12)]);
      const next = (await listSchedules(a)).find((s) => s.name === "hourly")!;
      expect(next).toMatchObject({ lastSlot: Date.UTC(2026, 5, 1, 12), nextRun: Date.UTC(2026, 5, 1, 13), catchUpMs: 7_200_000 });
    });

    test("the clock going backwards never enqueues a slot twice", async () => {
      const a = scheduler("a", stores[0], {
        schedules: [{ name: "reports", job: "report", cron: "* * * * * *", payload: { kind: "x" }, overlap: "allow" }],
      });
      const slots: number[] = [];
      a.events.on("cron:enqueued", (p) => p.schedule === "reports" && slots.push(p.slot));
      await startLeader(a);
      for (let i = 0; i < 3; i++) await nextSecond(a, [], "reports");

      // NTP steps the clock back 10 s: passes run, nothing is due until the clock is past the last slot again.
      clock.set(clock.now() - 10 * SECOND);
      for (let i = 0; i < 10; i++) {
        clock.advance(SECOND);
        const round = a.events.once("cron:round", (p) => p.at === clock.now());
        a.wake();
        await within(round, 5_000, "a cron pass");
      }
      expect(slots).toEqual([T0 + SECOND, T0 + 2 * SECOND, T0 + 3 * SECOND]);
      expect(await nextSecond(a, [], "reports")).toMatchObject({ slot: T0 + 4 * SECOND });
      expect(new Set(slots).size).toBe(slots.length);
    });

    test("the schedule listing covers job-module and config schedules, with no scheduler started", async () => {
      const a = scheduler("cli", stores[0], {
        schedules: [
          { name: "nightly", job: "report", cron: "30 2 * * *", timezone: "Europe/Berlin", payload: { kind: "n" } },
          { name: "off", job: "report", cron: "0 * * * *", payload: { kind: "o" }, enabled: false },
        ],
      });
      const list = await listSchedules(a);
      expect(list.map((s) => s.name).sort()).toEqual(["nightly", "off", "tick"]);
      const nightly = list.find((s) => s.name === "nightly")!;
      expect(nightly).toMatchObject({
        job: "report",
        cron: "30 2 * * *",
        timezone: "Europe/Berlin",
        enabled: true,
        paused: false,
        overlap: "skip",
        nextRun: Date.UTC(2026, 5, 2, 0, 30), // 02:30 CEST
      });
      expect(nightly.lastSlot).toBeUndefined();
      expect(nightly.lastOutcome).toBeUndefined();
      const off = list.find((s) => s.name === "off")!;
      expect(off.enabled).toBe(false);
      expect(off.nextRun).toBeUndefined();
      expect(list.find((s) => s.name === "tick")).toMatchObject({ job: "tick", timezone: "UTC", nextRun: T0 + SECOND });
      expect(await leaderOf(a)).toBeUndefined();
      expect(a.isLeader()).toBe(false);
    });

    test("retention, rescue and promotion run only on the leader", async () => {
      const a = scheduler("a", stores[0]);
      const b = scheduler("b", stores[1]);
      const seen: string[] = [];
      a.events.on("rescue:done", () => seen.push("a"));
      b.events.on("rescue:done", () => seen.push("b"));
      const rescued = a.events.once("rescue:done");
      const trimmed = a.events.once("retention:done");
      await startLeader(a);
      await startStandby(b);
      await within(Promise.all([rescued, trimmed]), 5_000, "the leader's first rescue and trim");
      b.wake();
      a.wake();
      await within(a.events.once("rescue:done"), 5_000, "another rescue round");
      expect(seen.every((who) => who === "a")).toBe(true);
    });
  });
}

describe("config schedules are checked when the registry loads", () => {
  let registry: Registry;
  let store: Store;
  const clock = new FakeClock(T0);

  beforeEach(async () => {
    registry = await makeRegistry({ "tick.ts": TICK_JOB, "report.ts": REPORT_JOB });
    [store] = await memoryKit.open(clock);
  });

  const build = (schedules: NonNullable<ConfigInput["schedules"]>) => () => registry.withSchedules(makeConfig({ schedules }).schedules).assertValid();

  test.each([
    [[{ job: "nope", cron: "* * * * *" }], /schedules\[0\]\.job: unknown job "nope"; known jobs: report, tick/],
    [[{ job: "report", cron: "61 * * * *", payload: { kind: "a" } }], /schedules\[0\]\.cron: cron "61 \* \* \* \*" is invalid/],
    [[{ job: "report", cron: "* * *", payload: { kind: "a" } }], /schedules\[0\]\.cron: .*has 3 fields/],
    [[{ job: "report", cron: "* * * * *", timezone: "Mars/Olympus", payload: { kind: "a" } }], /schedules\[0\]\.timezone: timezone "Mars\/Olympus"/],
    [[{ job: "report", cron: "* * * * *", payload: { kind: 1 } }], /schedules\[0\]\.payload: payload for job "report" does not match its schema: kind/],
    [[{ job: "report", cron: "* * * * *" }], /schedules\[0\]\.payload/],
    [[{ job: "tick", cron: "* * * * *" }], /schedules\[0\]: schedule name "tick" is already used by .*tick\.ts; give this entry a distinct "name"/],
    [
      [
        { name: "r", job: "report", cron: "* * * * *", payload: { kind: "a" } },
        { name: "r", job: "report", cron: "0 * * * *", payload: { kind: "b" } },
      ],
      /schedules\[1\]\.name: schedule name "r" is already used by schedules\[0\]/,
    ],
    [[{ name: "bad name", job: "report", cron: "* * * * *", payload: { kind: "a" } }], /schedules\[0\]\.name/],
  ])("%j is refused", (schedules, message) => {
    expect(build(schedules as NonNullable<ConfigInput["schedules"]>)).toThrow(JobLoadError);
    expect(build(schedules as NonNullable<ConfigInput["schedules"]>)).toThrow(message);
  });

  test("a valid entry names defaults to the job", async () => {
    const s = build([{ job: "report", cron: "*/5 * * * *", payload: { kind: "a" }, timezone: "America/New_York" }])();
    const names = (await new LocalOperations({ store, clock, registry: s }).schedules()).schedules.map((x) => x.name).sort();
    expect(names).toEqual(["report", "tick"]);
  });
});
