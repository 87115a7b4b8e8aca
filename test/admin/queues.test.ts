import { afterEach, describe, expect, test } from "bun:test";
import type { SchedulesApi } from "../../src/admin/server.ts";
import { NotFoundError } from "../../src/core/errors.ts";
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
  test("lists live workers", async () => {
    h = await startHarness();
    expect((await h.call("GET", "/api/workers")).body).toEqual({ workers: [] });
    const now = h.clock.now();
    const info = { id: "host-1-0", host: "host", pid: 1, role: "all", queues: ["default"], concurrency: 4, startedAt: now, heartbeatAt: now, running: [] };
    await h.store.workerHeartbeat(info, 30_000);
    const res = await h.call("GET", "/api/workers");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ workers: [info] });
  });
});

describe("schedules", () => {
  function fakeScheduler() {
    const paused = new Set<string>();
    const api: SchedulesApi = {
      async listSchedules() {
        return [{ name: "nightly", job: "report", cron: "0 3 * * *", paused: paused.has("nightly") }];
      },
      async pauseSchedule(name) {
        if (name !== "nightly") throw new NotFoundError(`no schedule named "${name}"`);
        paused.add(name);
      },
      async resumeSchedule(name) {
        if (name !== "nightly") throw new NotFoundError(`no schedule named "${name}"`);
        paused.delete(name);
      },
      async leader() {
        return { holder: "host-1", token: 3, until: 0 };
      },
    };
    return api;
  }

  test("GET /api/schedules lists schedules and the leader", async () => {
    h = await startHarness({ schedules: fakeScheduler() });
    const res = await h.call("GET", "/api/schedules");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ schedules: [{ name: "nightly", job: "report", cron: "0 3 * * *", paused: false }], leader: { holder: "host-1", token: 3, until: 0 } });
  });

  test("pause and resume a schedule", async () => {
    h = await startHarness({ schedules: fakeScheduler() });
    expect((await h.call("POST", "/api/schedules/nightly/pause")).body).toEqual({ name: "nightly", paused: true });
    expect((await h.call("GET", "/api/schedules")).body.schedules[0].paused).toBe(true);
    expect((await h.call("POST", "/api/schedules/nightly/resume")).body).toEqual({ name: "nightly", paused: false });
    expect((await h.call("GET", "/api/schedules")).body.schedules[0].paused).toBe(false);
  });

  test("an unknown schedule → 404 from the scheduler's error", async () => {
    h = await startHarness({ schedules: fakeScheduler() });
    const res = await h.call("POST", "/api/schedules/nope/pause");
    expect(res.status).toBe(404);
    expect(res.body.error.message).toBe('no schedule named "nope"');
  });

  test("no scheduler in this process → 404 saying so", async () => {
    h = await startHarness();
    for (const [method, path] of [
      ["GET", "/api/schedules"],
      ["POST", "/api/schedules/nightly/pause"],
      ["POST", "/api/schedules/nightly/resume"],
    ] as const) {
      const res = await h.call(method, path);
      expect(res.status).toBe(404);
      expect(res.body.error.message).toContain("this process runs no scheduler");
    }
  });

  test("a scheduler that crashes → 500 with a generic message (details go to the log)", async () => {
    const api = fakeScheduler();
    api.listSchedules = async () => {
      throw new TypeError("secret internals");
    };
    h = await startHarness({ schedules: api });
    const res = await h.call("GET", "/api/schedules");
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe("internal");
    expect(res.body.error.message).not.toContain("secret");
  });
});
