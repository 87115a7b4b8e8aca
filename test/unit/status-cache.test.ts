/**
 * The one status read everything that polls shares (src/ops/status-cache.ts):
 * reused within the caller's max age, shared while in flight, and after a
 * slow read (a big SQLite store) not taken again for 20 times its duration.
 */

import { expect, test } from "bun:test";
import type { StatusReport } from "../../src/ops/operations.ts";
import { StatusCache } from "../../src/ops/status-cache.ts";

function setup(readMs: () => number) {
  let now = 0;
  let reads = 0;
  const ops = {
    status: async (): Promise<StatusReport> => {
      reads++;
      now += readMs();
      return { store: { backend: "memory", durable: false }, queues: [], workers: [], throughput: { minute: 0, queues: [] }, n: reads } as StatusReport;
    },
  };
  const cache = new StatusCache(ops, () => now);
  return { cache, reads: () => reads, advance: (ms: number) => (now += ms) };
}

test("a fast store is read again once the caller's max age has passed, and not before", async () => {
  const s = setup(() => 2);
  await s.cache.get(1_000);
  s.advance(999);
  await s.cache.get(1_000);
  expect(s.reads()).toBe(1);
  s.advance(1);
  await s.cache.get(1_000);
  expect(s.reads()).toBe(2);
  await s.cache.get(0);
  expect(s.reads()).toBe(3);
});

test("concurrent callers share the read in flight", async () => {
  const s = setup(() => 2);
  await Promise.all([s.cache.get(0), s.cache.get(0), s.cache.get(5_000)]);
  expect(s.reads()).toBe(1);
});

test("after a 600 ms read the store is left alone for 12 s, whatever the callers ask", async () => {
  const s = setup(() => 600);
  await s.cache.get(0);
  s.advance(11_999);
  await s.cache.get(0);
  expect(s.reads()).toBe(1);
  s.advance(1);
  await s.cache.get(0);
  expect(s.reads()).toBe(2);
  expect(s.cache.peek()).toMatchObject({ n: 2 });
});
