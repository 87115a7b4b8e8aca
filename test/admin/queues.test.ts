import { afterEach, describe, expect, test } from "bun:test";
import { startHarness, type Harness } from "./harness.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("queues", () => {
  test("GET /api/queues: counts per state and paused, for every configured queue", async () => {
    h = await startHarness();
    await h.call("POST", "/api/jobs", { body: [{ name: "noop" }, { name: "noop", in: 10 }, { name: "report", data: { month: "2026-01" } }] });
    const res = await h.call("GET", "/api/queues");
    expect(res.status).toBe(200);
    const byName = Object.fromEntries(res.body.queues.map((q: any) => [q.queue, q]));
    expect(Object.keys(byName).sort()).toEqual(["critical", "default", "low"]);
    expect(byName.critical).toMatchObject({ waiting: 1, delayed: 1, active: 0, paused: false });
    expect(byName.low).toMatchObject({ waiting: 1 });
  });

  test("pause and resume", async () => {
    h = await startHarness();
    const paused = await h.call("POST", "/api/queues/low/pause");
    expect(paused.status).toBe(200);
    expect(paused.body).toEqual({ queue: "low", paused: true });
    let low = (await h.call("GET", "/api/queues")).body.queues.find((q: any) => q.queue === "low");
    expect(low.paused).toBe(true);

    const resumed = await h.call("POST", "/api/queues/low/resume");
    expect(resumed.body).toEqual({ queue: "low", paused: false });
    low = (await h.call("GET", "/api/queues")).body.queues.find((q: any) => q.queue === "low");
    expect(low.paused).toBe(false);
  });

  test("an unknown queue → 404 listing the configured ones", async () => {
    h = await startHarness();
    const res = await h.call("POST", "/api/queues/nope/pause");
    expect(res.status).toBe(404);
    expect(res.body.error.message).toContain("configured queues: critical, default, low");
    const counts = (await h.call("GET", "/api/queues")).body.queues;
    expect(counts.some((q: any) => q.queue === "nope")).toBe(false);
  });
});

describe("GET /api/workers", () => {
  test("lists workers with their record, and whether their heartbeat is current", async () => {
    h = await startHarness();
    expect((await h.call("GET", "/api/workers")).body).toEqual({ workers: [] });
    const now = h.clock.now();
    const info = { id: "host-1-0", host: "host", pid: 1, role: "all", queues: ["default"], concurrency: 4, jobs: ["noop"], startedAt: now, heartbeatAt: now, running: [] };
    await h.store.workerHeartbeat({ info, ttlMs: 30_000, now });
    const res = await h.call("GET", "/api/workers");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ workers: [{ ...info, expiresAt: now + 30_000, alive: true }] });
    h.clock.advance(30_001);
    expect((await h.call("GET", "/api/workers")).body.workers[0]).toMatchObject({ id: "host-1-0", alive: false });
  });
});

describe("schedules", () => {
  test("GET /api/schedules lists the catalogue (job modules and config) with the store's state and the leader", async () => {
    h = await startHarness();
    let res = await h.call("GET", "/api/schedules");
    expect(res.status).toBe(200);
    // 2026-06-01 12:00 UTC: the next 03:00 slot is the next day's.
    expect(res.body).toEqual({
      schedules: [{ name: "nightly", job: "nightly", cron: "0 3 * * *", timezone: "UTC", enabled: true, paused: false, overlap: "skip", catchUpMs: 0, nextRun: Date.UTC(2026, 5, 2, 3) }],
      leader: null,
    });
    await h.store.leaderAcquire({ name: "scheduler", holder: "host-1", ttlMs: 8_000, now: h.clock.now() });
    res = await h.call("GET", "/api/schedules");
    expect(res.body.leader).toMatchObject({ holder: "host-1" });
  });

  test("pause and resume a schedule (kept in the store, so any process serves it)", async () => {
    h = await startHarness();
    expect((await h.call("POST", "/api/schedules/nightly/pause")).body).toEqual({ name: "nightly", paused: true });
    expect((await h.call("GET", "/api/schedules")).body.schedules[0]).toMatchObject({ paused: true });
    expect((await h.store.scheduleStates()).find((s) => s.name === "nightly")?.paused).toBe(true);
    expect((await h.call("POST", "/api/schedules/nightly/resume")).body).toEqual({ name: "nightly", paused: false });
    expect((await h.call("GET", "/api/schedules")).body.schedules[0].paused).toBe(false);
  });

  test("an unknown schedule → 404 naming the known ones", async () => {
    h = await startHarness();
    const res = await h.call("POST", "/api/schedules/nope/pause");
    expect(res.status).toBe(404);
    expect(res.body.error.message).toBe('no schedule named "nope"; schedules: nightly');
  });

  test("a store that crashes → 500 with a generic message (details go to the log)", async () => {
    h = await startHarness();
    h.store.scheduleStatesCrash = true;
    const res = await h.call("GET", "/api/schedules");
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe("internal");
    expect(res.body.error.message).not.toContain("secret");
  });
});
