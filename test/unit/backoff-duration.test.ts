import { describe, expect, test } from "bun:test";
import { backoffDelay, DEFAULT_BACKOFF } from "../../src/core/backoff.ts";
import { formatDuration, parseDuration, tryParseDuration } from "../../src/core/duration.ts";

describe("backoffDelay", () => {
  const noJitter = { ...DEFAULT_BACKOFF, jitter: false };

  test("exponential doubles from delayMs and stops at maxMs", () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(noJitter, n))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000]);
    expect(backoffDelay(noJitter, 30)).toBe(600_000);
    expect(backoffDelay(noJitter, 1_000)).toBe(600_000);
  });

  test("fixed waits the same every time", () => {
    expect([1, 5, 9].map((n) => backoffDelay({ type: "fixed", delayMs: 250, maxMs: 1_000, jitter: false }, n))).toEqual([250, 250, 250]);
  });

  test("jitter keeps at least half the delay and never exceeds it", () => {
    expect(backoffDelay(DEFAULT_BACKOFF, 3, () => 0)).toBe(2_000);
    expect(backoffDelay(DEFAULT_BACKOFF, 3, () => 0.999999)).toBe(4_000);
    for (let i = 0; i < 1_000; i++) {
      const d = backoffDelay(DEFAULT_BACKOFF, 4);
      expect(d).toBeGreaterThanOrEqual(4_000);
      expect(d).toBeLessThanOrEqual(8_000);
    }
  });
});

describe("durations", () => {
  test("parse the units people write", () => {
    expect(["250ms", "30s", "5m", "1.5h", "7d", "1w", " 2m "].map((d) => tryParseDuration(d))).toEqual([250, 30_000, 300_000, 5_400_000, 604_800_000, 604_800_000, 120_000]);
    expect(tryParseDuration(1234)).toBe(1234);
  });

  test("reject anything else with a message that shows the format", () => {
    for (const bad of ["5", "5 minutes", "-1s", "m", ""]) expect(tryParseDuration(bad)).toBeUndefined();
    expect(tryParseDuration(-5)).toBeUndefined();
    expect(() => parseDuration("soon", "timeout")).toThrow('timeout: "soon" is not a duration');
  });

  test("format for people", () => {
    expect([500, 1_500, 90_000, 5_400_000, 90_000_000].map(formatDuration)).toEqual(["500ms", "1.5s", "1m30s", "1h30m", "1d1h"]);
  });
});
