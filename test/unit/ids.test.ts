// Ids are numbers the store hands out; listings order them shortlex, which is numeric order
// for numbers and stays a total order with explicit (cron) ids mixed in.

import { describe, expect, test } from "bun:test";
import { compareIds, cronSlotId } from "../../src/core/ids.ts";

describe("compareIds", () => {
  test("numeric order for numbers, whatever their length", () => {
    const ids = ["10", "9", "100", "1", "99", "11"];
    expect([...ids].sort(compareIds)).toEqual(["1", "9", "10", "11", "99", "100"]);
  });

  test("a total order with cron ids mixed in: antisymmetric and transitive on a sample", () => {
    const ids = ["7", "cron:tick:1780315200000", "12", "cron:a:1", "123456789012", "cron:tick:999"];
    const sorted = [...ids].sort(compareIds);
    for (let i = 0; i < sorted.length; i++) {
      expect(compareIds(sorted[i], sorted[i])).toBe(0);
      for (let j = i + 1; j < sorted.length; j++) {
        expect(compareIds(sorted[i], sorted[j])).toBeLessThan(0);
        expect(compareIds(sorted[j], sorted[i])).toBeGreaterThan(0);
      }
    }
  });

  test("cron slot ids are deterministic", () => {
    expect(cronSlotId("nightly", 1780315200000)).toBe("cron:nightly:1780315200000");
  });
});
