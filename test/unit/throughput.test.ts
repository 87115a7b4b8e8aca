/**
 * Rates without a store query per job: a worker's per-minute ring
 * (ThroughputCounter), the fleet sum readers make of the workers' records
 * (fleetThroughput), and the per-minute rate `status` prints (perMinute).
 */

import { expect, test } from "bun:test";
import { THROUGHPUT_MINUTES, type WorkerRecord } from "../../src/core/types.ts";
import { fleetThroughput, minuteOf, perMinute, ThroughputCounter } from "../../src/stats/throughput.ts";

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const MIN = 60_000;

test("a worker counts completed and failed tries per queue and minute, oldest minute first, ending at now", () => {
  const c = new ThroughputCounter();
  expect(c.snapshot(T0)).toBeUndefined();
  c.record("default", true, T0 + 1_000);
  c.record("default", true, T0 + 2_000);
  c.record("default", false, T0 + 3_000);
  c.record("low", true, T0 + 2 * MIN + 5);
  const snap = c.snapshot(T0 + 2 * MIN + 10)!;
  expect(snap.minute).toBe(T0 + 2 * MIN);
  // Leading zero minutes are left out (heartbeat bytes); the arrays end at the current minute.
  expect(snap.queues.default).toEqual([
    [2, 0, 0],
    [1, 0, 0],
  ]);
  expect(snap.queues.low).toEqual([[1], [0]]);
});

test("minutes older than the hour fall off; a gap longer than the ring clears it", () => {
  const c = new ThroughputCounter();
  c.record("q", true, T0);
  c.record("q", true, T0 + (THROUGHPUT_MINUTES - 1) * MIN);
  let snap = c.snapshot(T0 + (THROUGHPUT_MINUTES - 1) * MIN)!;
  expect(snap.queues.q[0].length).toBe(THROUGHPUT_MINUTES);
  expect(snap.queues.q[0][0]).toBe(1);
  snap = c.snapshot(T0 + THROUGHPUT_MINUTES * MIN)!;
  expect(snap.queues.q[0]).toEqual([1, 0]);
  snap = c.snapshot(T0 + 5 * THROUGHPUT_MINUTES * MIN)!;
  expect(snap.queues.q).toEqual([[0], [0]]);
});

function worker(id: string, throughput: WorkerRecord["throughput"]): WorkerRecord {
  return { id, host: "h", pid: 1, role: "all", queues: [], concurrency: 1, jobs: [], startedAt: T0, heartbeatAt: T0, running: [], expiresAt: T0 + 6_000, throughput };
}

test("the fleet sum aligns each worker's series to the reader's minute and adds them", () => {
  const a = worker("a", { minute: T0 + 2 * MIN, queues: { default: [[5, 1, 2], [0, 0, 1]] } });
  // b published a minute earlier: its last entry is the reader's previous minute.
  const b = worker("b", { minute: T0 + MIN, queues: { default: [[10], [3]], low: [[4], [0]] } });
  const none = worker("c", undefined);
  const fleet = fleetThroughput([a, b, none], T0 + 2 * MIN + 30_000);
  expect(fleet.minute).toBe(T0 + 2 * MIN);
  const d = fleet.queues.find((q) => q.queue === "default")!;
  expect(d.completed.length).toBe(THROUGHPUT_MINUTES);
  expect(d.completed.slice(-3)).toEqual([5, 11, 2]);
  expect(d.failed.slice(-3)).toEqual([0, 3, 1]);
  expect(fleet.queues.find((q) => q.queue === "low")!.completed.slice(-2)).toEqual([4, 0]);
});

test("records with garbage in them (an older or foreign worker) are skipped, not thrown on", () => {
  const bad = worker("x", { minute: T0, queues: { q: "nope" as never, r: [[1, "2" as never, -3, Number.NaN], null as never] } });
  const fleet = fleetThroughput([bad], T0);
  expect(fleet.queues.find((q) => q.queue === "r")!.completed.slice(-4)).toEqual([1, 0, 0, 0]);
});

test("perMinute: the current minute counts whole, the oldest one pro rata to the part inside the window", () => {
  const series = [...new Array(57).fill(0), 60, 30, 12];
  const now = minuteOf(T0) + 15_000; // a quarter into the current minute
  expect(perMinute(series, now, 1)).toBeCloseTo(12 + 30 * 0.75);
  expect(perMinute(series, now, 2)).toBeCloseTo((12 + 30 + 60 * 0.75) / 2);
  expect(perMinute([], now)).toBe(0);
});
