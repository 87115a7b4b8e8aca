/**
 * The Redis store must behave exactly like the memory store, the reference
 * implementation. This drives both with the same seeded random sequence of
 * operations under one fake clock and compares every result and, now and
 * then, every job, listing and count.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { FakeClock } from "../../src/core/clock.ts";
import type { JobRecord, NewJob } from "../../src/core/types.ts";
import { MemoryStore } from "../../src/store/memory/memory-store.ts";
import { RedisStore } from "../../src/store/redis/redis-store.ts";
import type { ReservedJob, Store } from "../../src/store/store.ts";
import { startRedisServer, type RedisServer } from "../helpers/redis-server.ts";
import { describeNeeding } from "../helpers/requirements.ts";

const QUEUES = ["critical", "default", "low"];
const WORKERS = ["w1", "w2"];
// Age-only: which of several jobs finished in the same millisecond a count limit keeps is
// unspecified (memory: insertion order; Redis: id order), so counts are left to the contract suite.
const POLICY = { completedMaxAgeMs: 20_000, completedMaxCount: 1_000_000, failedMaxAgeMs: 60_000, failedMaxCount: 1_000_000 };

function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(a: T[]) => a[Math.floor(next() * a.length)] };
}

/** Outcome of a call: its value, or the class of error it threw. */
async function outcome<T>(p: Promise<T>): Promise<{ ok: T } | { err: string }> {
  try {
    return { ok: await p };
  } catch (e) {
    return { err: (e as Error).constructor.name };
  }
}

describeNeeding("redis-server")("redis store matches the memory store", () => {
  let server: RedisServer;

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  for (const seed of [1, 2, 3]) {
    test(`random operations, seed ${seed}`, async () => {
      const clock = new FakeClock(Date.UTC(2026, 5, 1));
      const mem = new MemoryStore(clock);
      const red = new RedisStore({ url: server.url, prefix: `diff-${process.pid}-${seed}`, clock });
      await red.open();
      const r = rng(seed);
      const held: ReservedJob[] = [];
      const ids: string[] = [];
      let next = 0;
      // Distinct due times: the memory store's heap promotes jobs due at the same ms in no defined order.
      const usedRunAt = new Set<number>();
      const dueIn = (ms: number) => {
        let at = clock.now() + ms;
        while (usedRunAt.has(at)) at++;
        usedRunAt.add(at);
        return at;
      };
      const both = async <T,>(what: string, op: (s: Store) => Promise<T>, norm: (v: T) => unknown = (v) => v) => {
        const [a, b] = [await outcome(op(mem)), await outcome(op(red))];
        const n = (o: { ok: T } | { err: string }) => ("ok" in o ? { ok: norm(o.ok) } : o);
        expect({ what, got: n(b) }).toEqual({ what, got: n(a) });
        return "ok" in a ? a.ok : undefined;
      };
      try {
        for (let step = 0; step < 600; step++) {
          const roll = r.int(100);
          if (roll < 25) {
            const batch: NewJob[] = Array.from({ length: 1 + r.int(4) }, () => {
              const id = r.int(10) === 0 && ids.length ? r.pick(ids) : `j${next++}`;
              return {
                id,
                name: r.pick(["a", "b"]),
                queue: r.pick(QUEUES),
                data: { step, x: r.int(1000) },
                priority: r.pick([0, 0, 0, 1, 5]),
                maxAttempts: 1 + r.int(3),
                runAt: r.int(4) === 0 ? dueIn(r.int(5_000)) : undefined,
                uniqueKey: r.int(5) === 0 ? `k${r.int(3)}` : undefined,
                uniqueTtlMs: r.pick([undefined, 2_000, 60_000]),
              };
            });
            const res = await both("enqueue", (s) => s.enqueue(batch));
            for (const x of res ?? []) if (!ids.includes(x.id)) ids.push(x.id);
          } else if (roll < 45) {
            const queues = r.int(3) === 0 ? [r.pick(QUEUES)] : QUEUES;
            const p = { queues, workerId: r.pick(WORKERS), max: 1 + r.int(4), leaseMs: 10_000 };
            const got = await both("reserve", (s) => s.reserve(p));
            held.push(...(got ?? []));
          } else if (roll < 58 && held.length) {
            const j = held.splice(r.int(held.length), 1)[0];
            const result = r.int(2) ? { done: j.id } : undefined;
            await both("complete", (s) => s.complete({ workerId: j.lease.workerId, jobs: [{ id: j.id, token: j.lease.token, result }] }));
          } else if (roll < 66 && held.length) {
            const j = held.splice(r.int(held.length), 1)[0];
            const retryAt = r.int(2) ? dueIn(r.int(3_000)) : undefined;
            await both("fail", (s) => s.fail({ workerId: j.lease.workerId, id: j.id, token: j.lease.token, error: { attempt: j.attemptsMade + 1, message: `boom ${step}` }, retryAt }));
          } else if (roll < 70 && held.length) {
            const j = held.splice(r.int(held.length), 1)[0];
            await both("release", (s) => s.release({ workerId: j.lease.workerId, jobs: [{ id: j.id, token: j.lease.token }] }));
          } else if (roll < 74 && held.length) {
            const refs = held.slice(0, 3);
            await both("extend", (s) => s.extendLeases({ workerId: "w1", jobs: refs.map((j) => ({ id: j.id, token: j.lease.token })), leaseMs: 10_000 }), (v) => [...v].sort());
          } else if (roll < 78 && ids.length) {
            const id = r.pick(ids);
            await both(`cancel ${id}`, (s) => s.cancelJob(id));
          } else if (roll < 82 && ids.length) {
            const id = r.pick(ids);
            await both(`retry ${id}`, (s) => s.retryJob(id));
          } else if (roll < 84 && ids.length) {
            const id = r.pick(ids);
            await both(`remove ${id}`, (s) => s.removeJob(id));
          } else if (roll < 88) {
            await both("rescue", (s) => s.rescueExpired({ maxStalls: 1, limit: 10_000 }), (v) => ({ rescued: [...v.rescued].sort(), failed: [...v.failed].sort() }));
          } else if (roll < 90) {
            await both("promote", (s) => s.promoteDue(100));
          } else if (roll < 92) {
            await both("trim", (s) => s.trim(POLICY));
          } else if (roll < 94) {
            const q = r.pick(QUEUES);
            if (r.int(2)) await both("pause", (s) => s.pauseQueue(q));
            else await both("resume", (s) => s.resumeQueue(q));
          } else if (roll < 96 && held.length) {
            const j = r.pick(held);
            await both("progress", (s) => s.progress({ id: j.id, token: j.lease.token, progress: { pct: step % 100 } }));
          } else {
            clock.advance(r.pick([1, 100, 1_000, 4_000, 11_000]));
          }

          if (step % 25 === 24) {
            await both("nextDueAt", (s) => s.nextDueAt());
            await both("counts", (s) => s.counts(QUEUES), (v) => [...v].sort((a, b) => a.queue.localeCompare(b.queue)));
            const list = (s: Store, p: Parameters<Store["listJobs"]>[0]) => s.listJobs(p);
            for (const p of [{ limit: 7 }, { limit: 5, state: "waiting" as const }, { limit: 4, queue: "low" }, { limit: 3, name: "a", state: "completed" as const }]) {
              let cursor: string | undefined;
              for (let page = 0; page < 4; page++) {
                const got = await both(`list ${JSON.stringify(p)}`, (s) => list(s, { ...p, cursor }));
                cursor = got?.nextCursor;
                if (!cursor) break;
              }
            }
            for (const id of ids) await both(`get ${id}`, (s) => s.getJob(id), normaliseJob);
          }
        }
      } finally {
        await red.destroyAll();
        await red.close();
      }
    }, 60_000);
  }
});

/** Undefined-valued keys (memory keeps `uniqueKey: undefined`) compare equal to absent ones. */
function normaliseJob(j: JobRecord | undefined): unknown {
  return j && JSON.parse(JSON.stringify(j));
}
