/**
 * The wire format of thread and process modes: every message survives
 * encode → JSON (what IPC does) → decode unchanged, undefined payloads
 * stay undefined, and the SDK's control errors come back as their own
 * kind with their fields.
 */

import { describe, expect, test } from "bun:test";
import { controlKind, RateLimited, RetryLater, TimedOut, Unrecoverable } from "../../src/sdk/errors.ts";
import { decodeFromHost, decodeToHost, encodeFromHost, encodeToHost, fromWireError, toWireError, type FromHost, type ToHost } from "../../src/worker/executors/wire.ts";

const viaJson = <T>(v: T): T => JSON.parse(JSON.stringify(v));

describe("wire", () => {
  test("every message to a host decodes to what was encoded", () => {
    const msgs: ToHost[] = [
      { t: "run", file: "/jobs/a.ts", id: "7", name: "a", queue: "default", attempt: 2, maxAttempts: 3, data: { to: "x", n: [1, 2] } },
      { t: "run", file: "/jobs/a.ts", id: "8", name: "a", queue: "default", attempt: 1, maxAttempts: 1, data: undefined },
      { t: "abort", id: "7", reason: toWireError(new TimedOut(1000)) },
      { t: "enqueued", req: 3, id: "9", error: undefined },
      { t: "enqueued", req: 4, id: undefined, error: toWireError(new Error("unknown job")) },
    ];
    for (const m of msgs) expect(decodeToHost(viaJson(encodeToHost(m)))).toEqual(m);
  });

  test("every message from a host decodes to what was encoded", () => {
    const msgs: FromHost[] = [
      { t: "ready", pid: 123 },
      { t: "loaded", id: "7" },
      { t: "progress", id: "7", pct: 40, msg: "half" },
      { t: "progress", id: "7", pct: 100, msg: undefined },
      { t: "log", id: "7", level: "warn", msg: "odd", fields: { a: 1 } },
      { t: "log", id: "7", level: "info", msg: "plain", fields: undefined },
      { t: "enqueue", id: "7", req: 1, name: "b", data: { x: 1 }, opts: { in: 60, at: "2030-01-01T00:00:00.000Z" } },
      { t: "enqueue", id: "7", req: 2, name: "b", data: undefined, opts: undefined },
      { t: "done", id: "7", ok: true, result: { rows: 3 } },
      { t: "done", id: "7", ok: true, result: null },
      { t: "done", id: "7", ok: false, error: toWireError(new Unrecoverable("bad")) },
    ];
    for (const m of msgs) expect(decodeFromHost(viaJson(encodeFromHost(m)))).toEqual(m);
  });

  test("control errors cross as their own kind with their fields; others keep name, message and stack", () => {
    const later = fromWireError(viaJson(toWireError(new RetryLater(1500, "soon"))));
    expect(controlKind(later)).toBe("retry-later");
    expect(later).toMatchObject({ delayMs: 1500, message: "soon" });
    const limited = fromWireError(viaJson(toWireError(new RateLimited(2500))));
    expect(controlKind(limited)).toBe("rate-limited");
    expect(limited).toMatchObject({ pauseMs: 2500 });
    const timeout = fromWireError(viaJson(toWireError(new TimedOut(1000))));
    expect(controlKind(timeout)).toBe("timed-out");
    expect(timeout.message).toBe("timed out after 1s");
    const plain = new RangeError("too far");
    const back = fromWireError(viaJson(toWireError(plain)));
    expect(controlKind(back)).toBeUndefined();
    expect(back).toMatchObject({ name: "RangeError", message: "too far" });
    expect(back.stack).toContain("too far");
  });
});
