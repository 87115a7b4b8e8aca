import { expect, test } from "bun:test";
import type { Runtime } from "../../src/app/runtime.ts";
import type { QueueCounts } from "../../src/core/types.ts";
import { runtimeStatus } from "../../src/systemd/runtime-status.ts";

const row = (queue: string, n: Partial<QueueCounts>): QueueCounts => ({
  queue,
  paused: false,
  waiting: 0,
  active: 0,
  delayed: 0,
  completed: 0,
  failed: 0,
  cancelled: 0,
  ...n,
});

/** Just what runtimeStatus reads: the clock, ops.queues() and the pool's active count. */
function fakeRuntime(readMs: number, pool?: { activeCount: number }) {
  let mono = 0;
  let reads = 0;
  let fail = false;
  const runtime = {
    options: { clock: { now: () => 0, mono: () => mono } },
    pool,
    ops: {
      queues: async () => {
        reads++;
        mono += readMs; // the read takes this long
        if (fail) throw new Error("connection refused");
        return [row("critical", { waiting: 2, active: 1 }), row("default", { waiting: 338, delayed: 5, failed: 2, active: 4 })];
      },
    },
  } as unknown as Runtime;
  return { runtime, reads: () => reads, advance: (ms: number) => (mono += ms), failNext: () => (fail = true) };
}

test("sums the queues; active is this process's pool when it has one, else the store's", async () => {
  expect(await runtimeStatus(fakeRuntime(1, { activeCount: 12 }).runtime)()).toBe("12 active, 340 waiting, 5 delayed, 2 failed");
  expect(await runtimeStatus(fakeRuntime(1).runtime)()).toBe("5 active, 340 waiting, 5 delayed, 2 failed");
});

test("a fast read happens on every refresh", async () => {
  const f = fakeRuntime(2);
  const status = runtimeStatus(f.runtime);
  for (let i = 0; i < 3; i++) {
    await status();
    f.advance(5_000);
  }
  expect(f.reads()).toBe(3);
});

test("a slow read waits 100 times as long before the next; the pool's count stays fresh", async () => {
  const pool = { activeCount: 1 };
  const f = fakeRuntime(300, pool);
  const status = runtimeStatus(f.runtime);
  await status();
  f.advance(5_000);
  pool.activeCount = 7;
  expect(await status()).toBe("7 active, 340 waiting, 5 delayed, 2 failed");
  expect(f.reads()).toBe(1);
  f.advance(25_000); // 30.3 s after the first read started
  await status();
  expect(f.reads()).toBe(2);
});

test("a failed read says the store is unreachable", async () => {
  const f = fakeRuntime(1, { activeCount: 3 });
  f.failNext();
  expect(await runtimeStatus(f.runtime)()).toBe("3 active, store unreachable: connection refused");
});
