/**
 * HostPool with stand-in hosts (no threads): hosts start lazily up to the
 * size, later tries wait in line, a crashed host's replacement waits a
 * delay that doubles per crash in a row and starts over after a normal
 * try, a discarded host is replaced at once, an idle host's death frees its
 * place, and an aborted wait rejects with the abort's reason.
 */

import { describe, expect, test } from "bun:test";
import { silentLogger } from "../../src/core/logger.ts";
import { crashDelay, HostPool } from "../../src/worker/executors/host-pool.ts";
import type { Host, HostExit } from "../../src/worker/executors/host.ts";

function fakeHost(): Host & { die(exit?: HostExit): void } {
  let markExited!: (e: HostExit) => void;
  const exited = new Promise<HostExit>((r) => (markExited = r));
  const host = {
    kind: "thread" as const,
    ready: Promise.resolve(),
    exited,
    exit: undefined as HostExit | undefined,
    loaded: new Set<string>(),
    onMessage: undefined,
    onExit: undefined as ((e: HostExit) => void) | undefined,
    send() {},
    memoryBytes: () => undefined,
    die(e: HostExit = { code: 1 }) {
      if (host.exit) return;
      host.exit = e;
      markExited(e);
      host.onExit?.(e);
    },
    async kill() {
      host.die({ code: 0 });
      await exited;
    },
  };
  return host;
}

function pool(size: number) {
  const started: ReturnType<typeof fakeHost>[] = [];
  const p = new HostPool({
    kind: "thread",
    size,
    log: silentLogger,
    start: () => {
      const h = fakeHost();
      started.push(h);
      return h;
    },
  });
  return { p, started };
}

const signal = () => new AbortController().signal;

describe("HostPool", () => {
  test("crashDelay doubles from 250 ms and stops at 10 s", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(crashDelay)).toEqual([250, 500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
  });

  test("starts hosts lazily up to its size, reuses idle ones, and makes later tries wait for a release", async () => {
    const { p, started } = pool(2);
    const a = await p.acquire(signal());
    const b = await p.acquire(signal());
    expect(started.length).toBe(2);
    let third: Host | undefined;
    const waiting = p.acquire(signal()).then((h) => (third = h));
    await Bun.sleep(10);
    expect(third).toBeUndefined();
    p.release(a);
    await waiting;
    expect(third).toBe(a);
    p.release(b);
    expect(await p.acquire(signal())).toBe(b);
    expect(started.length).toBe(2);
    await p.stop();
  });

  test("a crashed host is replaced after 250 ms, then 500 ms for the next crash in a row; a normal try resets the delay", async () => {
    const { p } = pool(1);
    const timeToReplace = async () => {
      const h = await p.acquire(signal());
      p.crashed(h);
      const t0 = performance.now();
      const next = await p.acquire(signal());
      return { ms: performance.now() - t0, next };
    };
    const first = await timeToReplace();
    expect(first.ms).toBeGreaterThanOrEqual(240);
    p.crashed(first.next);
    const t0 = performance.now();
    const second = await p.acquire(signal());
    expect(performance.now() - t0).toBeGreaterThanOrEqual(490);
    p.release(second); // a try ended normally
    const again = await timeToReplace();
    expect(again.ms).toBeGreaterThanOrEqual(240);
    expect(again.ms).toBeLessThan(490);
    await p.stop();
  });

  test("a discarded host (timeout, memory) is replaced at once", async () => {
    const { p, started } = pool(1);
    const h = await p.acquire(signal());
    p.discard(h);
    const t0 = performance.now();
    await p.acquire(signal());
    expect(performance.now() - t0).toBeLessThan(200);
    expect(started.length).toBe(2);
    expect(started[0].exit).toEqual({ code: 0 });
    await p.stop();
  });

  test("an idle host that dies leaves the pool, and a waiting try gets a new one", async () => {
    const { p, started } = pool(1);
    const h = await p.acquire(signal());
    p.release(h);
    started[0].die({ code: 1 });
    await Bun.sleep(0);
    expect(p.count).toBe(0);
    const next = await p.acquire(signal());
    expect(next).not.toBe(h);
    await p.stop();
  });

  test("a try waiting for a host is rejected with the abort's reason", async () => {
    const { p } = pool(1);
    await p.acquire(signal());
    const ctl = new AbortController();
    const waiting = p.acquire(ctl.signal);
    ctl.abort(new Error("shutting down"));
    await expect(waiting).rejects.toThrow("shutting down");
    await p.stop();
  });
});
