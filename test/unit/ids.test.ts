import { describe, expect, test } from "bun:test";
import { createIdGenerator, newJobId } from "../../src/core/ids.ts";

describe("newJobId", () => {
  test("is a UUIDv7 carrying the millisecond", () => {
    const ms = Date.UTC(2026, 10, 22, 12, 34, 56, 789);
    const id = createIdGenerator()(ms);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(ms);
  });

  test("ids from one process sort in creation order, within a millisecond too", () => {
    const ids = Array.from({ length: 20_000 }, () => newJobId());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test("a clock that steps back does not break the order", () => {
    const next = createIdGenerator();
    const a = next(Date.now() + 60_000);
    const b = next(Date.now());
    expect(b > a).toBe(true);
  });
});
