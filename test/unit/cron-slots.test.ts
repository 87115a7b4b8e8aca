// Slot computation: DST in Europe/Berlin, clock jumps, downtime catch-up, every-second schedules.

import { describe, expect, test } from "bun:test";
import { planSlots, utcOffset } from "../../src/cron/slots.ts";

const BERLIN = "Europe/Berlin";
const H = 3_600_000;
const M = 60_000;
const S = 1_000;
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

/** Ticks a scheduler by hand from `from` to `to`: every slot it would run, in order. */
function simulate(expression: string, timezone: string, from: number, to: number, stepMs: number, catchUpMs = 0): number[] {
  let after = from;
  const ran: number[] = [];
  for (let now = from + stepMs; now <= to; now += stepMs) {
    const plan = planSlots({ spec: { expression, timezone }, after, afterIsSlot: ran.length > 0, now, catchUpMs });
    ran.push(...plan.due);
    if (plan.due.length) after = plan.due[plan.due.length - 1];
    if (plan.next !== undefined) expect(plan.next).toBeGreaterThan(now);
  }
  return ran;
}

describe("slots across DST in Europe/Berlin", () => {
  test("the zone really changes offset on the days under test", () => {
    expect(utcOffset(BERLIN, at("2026-03-29T00:59:00Z"))).toBe(60);
    expect(utcOffset(BERLIN, at("2026-03-29T01:00:00Z"))).toBe(120);
    expect(utcOffset(BERLIN, at("2026-10-25T00:59:00Z"))).toBe(120);
    expect(utcOffset(BERLIN, at("2026-10-25T01:00:00Z"))).toBe(60);
  });

  test("spring forward (2026-03-29): `30 2 * * *` runs once that day, at 03:30 CEST (02:30 does not exist)", () => {
    const ran = simulate("30 2 * * *", BERLIN, at("2026-03-27T12:00:00Z"), at("2026-03-31T12:00:00Z"), 10 * M);
    expect(ran.map(iso)).toEqual([
      "2026-03-28T01:30:00.000Z", // 02:30 CET
      "2026-03-29T01:30:00.000Z", // 03:30 CEST: the skipped 02:30, once
      "2026-03-30T00:30:00.000Z", // 02:30 CEST
      "2026-03-31T00:30:00.000Z",
    ]);
  });

  test("spring forward: the day's slot is found after downtime too (where cron-parser's prev() misses it)", () => {
    const spec = { expression: "30 2 * * *", timezone: BERLIN };
    const after = at("2026-03-28T01:30:00Z");
    expect(planSlots({ spec, after, now: at("2026-03-29T01:45:00Z"), catchUpMs: 0 }).due.map(iso)).toEqual(["2026-03-29T01:30:00.000Z"]);
    const before = planSlots({ spec, after, now: at("2026-03-29T01:20:00Z"), catchUpMs: 0 });
    expect(before.due).toEqual([]);
    expect(iso(before.next!)).toBe("2026-03-29T01:30:00.000Z");
  });

  test("fall back (2026-10-25): `30 2 * * *` runs once, although 02:30 happens twice", () => {
    const ran = simulate("30 2 * * *", BERLIN, at("2026-10-23T12:00:00Z"), at("2026-10-27T12:00:00Z"), 10 * M);
    expect(ran.map(iso)).toEqual([
      "2026-10-24T00:30:00.000Z",
      "2026-10-25T00:30:00.000Z", // 02:30 CEST; not again at 02:30 CET
      "2026-10-26T01:30:00.000Z", // 02:30 CET
      "2026-10-27T01:30:00.000Z",
    ]);
  });

  test("fall back: a tick inside the repeated hour, or a restart there, does not run the second 02:30", () => {
    const spec = { expression: "30 2 * * *", timezone: BERLIN };
    const after = at("2026-10-25T00:30:00Z");
    for (const afterIsSlot of [true, false]) {
      for (const now of ["2026-10-25T01:10:00Z", "2026-10-25T01:30:00Z", "2026-10-25T01:45:00Z", "2026-10-25T03:00:00Z"]) {
        const plan = planSlots({ spec, after, afterIsSlot, now: at(now), catchUpMs: 0 });
        expect(plan.due).toEqual([]);
        expect(iso(plan.next!)).toBe("2026-10-26T01:30:00.000Z");
      }
    }
    // Downtime across the change: only the first 02:30 (the canonical one) runs.
    const plan = planSlots({ spec, after: at("2026-10-24T00:30:00Z"), now: at("2026-10-25T01:45:00Z"), catchUpMs: 0 });
    expect(plan.due.map(iso)).toEqual(["2026-10-25T00:30:00.000Z"]);
  });

  test("hourly runs every real hour across both changes (23 on the spring day, 25 in autumn)", () => {
    for (const [day, expected] of [
      ["2026-03-29", 23],
      ["2026-10-25", 25],
    ] as const) {
      // Local midnight to local midnight.
      const start = at(`${day}T00:00:00Z`) - utcOffset(BERLIN, at(`${day}T00:00:00Z`)) * M;
      const nextDay = new Date(Date.parse(`${day}T00:00:00Z`) + 24 * H).toISOString().slice(0, 10);
      const end = at(`${nextDay}T00:00:00Z`) - utcOffset(BERLIN, at(`${nextDay}T00:00:00Z`)) * M;
      const ran = simulate("0 * * * *", BERLIN, start - 1, end - 1, 7 * M);
      expect(ran.length).toBe(expected);
      ran.slice(1).forEach((slot, i) => expect(slot - ran[i]).toBe(H));
    }
  });
});

describe("slots when the clock goes backwards", () => {
  test("nothing at or before the last slot runs again", () => {
    const spec = { expression: "*/5 * * * *", timezone: "UTC" };
    const last = at("2026-06-01T12:00:00Z");
    const plan = planSlots({ spec, after: last, now: last - 30 * M, catchUpMs: 2 * H });
    expect(plan.due).toEqual([]);
    expect(iso(plan.next!)).toBe("2026-06-01T12:05:00.000Z");
    expect(planSlots({ spec, after: last, now: last, catchUpMs: 0 }).due).toEqual([]);
  });

  test("ticking forward, jumping back 30 min and forward again runs each slot once", () => {
    const expression = "* * * * *";
    const ran: number[] = [];
    let after = at("2026-06-01T12:00:00Z");
    const times = [];
    for (let t = after; t <= after + 20 * M; t += 13 * S) times.push(t);
    const back = times[times.length - 1] - 30 * M;
    for (let t = back; t <= back + 60 * M; t += 13 * S) times.push(t);
    for (const now of times) {
      const plan = planSlots({ spec: { expression, timezone: "UTC" }, after, now, catchUpMs: 0 });
      ran.push(...plan.due);
      if (plan.due.length) after = plan.due[plan.due.length - 1];
    }
    expect(new Set(ran).size).toBe(ran.length);
    ran.slice(1).forEach((slot, i) => expect(slot).toBeGreaterThan(ran[i]));
    // While the clock replays the past, nothing runs; afterwards minutes go on from 12:20.
    expect(iso(ran[19])).toBe("2026-06-01T12:20:00.000Z");
    expect(iso(ran[20])).toBe("2026-06-01T12:21:00.000Z");
  });
});

describe("catch-up after downtime", () => {
  const lastSlot = at("2026-06-01T09:00:00Z");
  const now = at("2026-06-01T12:00:30Z"); // down for 3 h

  test("default: only the latest missed slot runs", () => {
    const plan = planSlots({ spec: { expression: "0 * * * *", timezone: "UTC" }, after: lastSlot, now, catchUpMs: 0 });
    expect(plan.due.map(iso)).toEqual(["2026-06-01T12:00:00.000Z"]);
    expect(iso(plan.next!)).toBe("2026-06-01T13:00:00.000Z");
  });

  test("a 2 h window runs the missed slots inside it", () => {
    const hourly = planSlots({ spec: { expression: "0 * * * *", timezone: "UTC" }, after: lastSlot, now, catchUpMs: 2 * H });
    expect(hourly.due.map(iso)).toEqual(["2026-06-01T11:00:00.000Z", "2026-06-01T12:00:00.000Z"]);
    const fiveMin = planSlots({ spec: { expression: "*/5 * * * *", timezone: "UTC" }, after: lastSlot, now, catchUpMs: 2 * H });
    expect(fiveMin.due.length).toBe(24);
    expect(iso(fiveMin.due[0])).toBe("2026-06-01T10:05:00.000Z");
    expect(iso(fiveMin.due[23])).toBe("2026-06-01T12:00:00.000Z");
  });

  test("the latest missed slot runs even when it is older than the window", () => {
    const plan = planSlots({
      spec: { expression: "0 6 * * *", timezone: BERLIN },
      after: at("2026-05-31T04:00:00Z"),
      now,
      catchUpMs: 2 * H,
    });
    expect(plan.due.map(iso)).toEqual(["2026-06-01T04:00:00.000Z"]);
  });

  test("a catch-up is bounded by maxSlots, newest kept", () => {
    const plan = planSlots({ spec: { expression: "* * * * * *", timezone: "UTC" }, after: lastSlot, now, catchUpMs: 2 * H, maxSlots: 50 });
    expect(plan.due.length).toBe(50);
    expect(plan.due[49]).toBe(now);
    expect(plan.due[0]).toBe(now - 49 * S);
  });

  test("a schedule that has never run (after = first start) runs no past slot", () => {
    const firstSeen = at("2026-06-01T12:00:00.500Z");
    const plan = planSlots({ spec: { expression: "0 * * * *", timezone: "UTC" }, after: firstSeen, now: firstSeen + 10 * S, catchUpMs: 2 * H });
    expect(plan.due).toEqual([]);
    expect(iso(plan.next!)).toBe("2026-06-01T13:00:00.000Z");
  });
});

describe("every-second schedules", () => {
  const spec = { expression: "* * * * * *", timezone: "UTC" };
  const t = at("2026-06-01T12:00:00Z");

  test("one slot per second, on the second", () => {
    expect(planSlots({ spec, after: t, now: t + 999, catchUpMs: 0 })).toEqual({ due: [], next: t + S });
    expect(planSlots({ spec, after: t, now: t + S, catchUpMs: 0 })).toEqual({ due: [t + S], next: t + 2 * S });
    expect(planSlots({ spec, after: t, now: t + 1_500, catchUpMs: 0 })).toEqual({ due: [t + S], next: t + 2 * S });
  });

  test("ticking every 250 ms for a minute runs 60 slots, each once", () => {
    const ran = simulate("* * * * * *", "UTC", t, t + 60 * S, 250);
    expect(ran.length).toBe(60);
    ran.forEach((slot, i) => expect(slot).toBe(t + (i + 1) * S));
  });

  test("after a minute of downtime: the latest only, or the last 10 s with a 10 s window", () => {
    expect(planSlots({ spec, after: t, now: t + 60 * S + 300, catchUpMs: 0 }).due).toEqual([t + 60 * S]);
    const window = planSlots({ spec, after: t, now: t + 60 * S + 300, catchUpMs: 10 * S });
    expect(window.due).toEqual(Array.from({ length: 10 }, (_, i) => t + (51 + i) * S));
  });

  test("across the autumn change in Berlin every real second runs once", () => {
    const from = at("2026-10-25T00:59:50Z");
    const ran = simulate("* * * * * *", BERLIN, from, from + 20 * S, 400);
    expect(ran.length).toBe(20);
    ran.forEach((slot, i) => expect(slot).toBe(from + (i + 1) * S));
  });
});
