/**
 * A store must behave exactly like the memory store, the reference
 * implementation. `compareWithMemory` drives both with the same seeded
 * random sequence of operations under one fake clock and compares every
 * result and, now and then, every job, listing and count. Each durable
 * store's differential test is this function with its own factory.
 */

import { expect } from "bun:test";
import { FakeClock } from "../../src/core/clock.ts";
import { JOB_STATES, type JobRecord, type NewJob, type QueueCounts } from "../../src/core/types.ts";
import { MemoryStore } from "../../src/store/memory/memory-store.ts";
import type { ReservedJob, Store } from "../../src/store/store.ts";
import { seeded } from "../fuzz/random.ts";

const QUEUES = ["critical", "default", "low"];
const WORKERS = ["w1", "w2"];
// Age-only: which of several jobs finished in the same millisecond a count limit keeps is
// unspecified (memory: insertion order; others: id order), so counts are left to the contract suite.
const POLICY = { completedMaxAgeMs: 20_000, completedMaxCount: 1_000_000, failedMaxAgeMs: 60_000, failedMaxCount: 1_000_000 };

/** Outcome of a call: its value, or the class of error it threw. */
async function outcome<T>(p: Promise<T>): Promise<{ ok: T } | { err: string }> {
  try {
    return { ok: await p };
  } catch (e) {
    return { err: (e as Error).name };
  }
}

export async function compareWithMemory(seed: number, steps: number, open: (clock: FakeClock) => Promise<{ store: Store; cleanup(): Promise<void> }>): Promise<void> {
  const clock = new FakeClock(Date.UTC(2026, 5, 1));
  const mem = new MemoryStore(clock);
  const other = await open(clock);
  const r = seeded(seed);
  const now = () => clock.now();
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
    const [a, b] = [await outcome(op(mem)), await outcome(op(other.store))];
    const n = (o: { ok: T } | { err: string }) => ("ok" in o ? { ok: norm(o.ok) } : o);
    expect({ seed, what, got: n(b) }).toEqual({ seed, what, got: n(a) });
    return "ok" in a ? a.ok : undefined;
  };
  const worker = (id: string) => ({ id, host: "h", pid: 1, role: "all", queues: QUEUES, concurrency: 4, jobs: ["a", "b"], startedAt: 0, heartbeatAt: now(), running: [] });
  try {
    for (let step = 0; step < steps; step++) {
      const roll = r.int(100);
      if (roll < 24) {
        const batch: NewJob[] = Array.from({ length: 1 + r.int(4) }, () => {
          const id = r.int(10) === 0 && ids.length ? r.pick(ids) : `j${next++}`;
          return {
            id,
            name: r.pick(["a", "b", "c"]),
            queue: r.pick(QUEUES),
            data: { step, x: r.int(1000) },
            priority: r.pick([0, 0, 0, 1, 5]),
            maxAttempts: 1 + r.int(3),
            runAt: r.int(4) === 0 ? dueIn(r.int(5_000)) : undefined,
            uniqueKey: r.int(5) === 0 ? `k${r.int(3)}` : undefined,
            uniqueTtlMs: r.pick([undefined, 2_000, 60_000]),
          };
        });
        const res = await both("enqueue", (s) => s.enqueue({ jobs: batch, now: now() }));
        for (const x of res ?? []) if (!ids.includes(x.id)) ids.push(x.id);
      } else if (roll < 44) {
        const queues = r.int(3) === 0 ? [r.pick(QUEUES)] : QUEUES;
        // Sometimes a worker that lacks job "c", sometimes completions ride along with the claim.
        const workerId = r.pick(WORKERS);
        const names = r.int(3) === 0 ? ["a", "b"] : undefined;
        const done = r.int(2) ? held.filter((j) => j.lease.workerId === workerId).slice(0, 2) : [];
        for (const j of done) held.splice(held.indexOf(j), 1);
        const complete = done.length ? done.map((j) => ({ id: j.id, token: j.lease.token, result: { by: "reserve" } })) : undefined;
        const p = { queues, workerId, max: 1 + r.int(4), leaseMs: 10_000, names, complete };
        const got = await both("reserve", (s) => s.reserve({ ...p, now: now() }));
        held.push(...(got ?? []));
      } else if (roll < 56 && held.length) {
        const j = held.splice(r.int(held.length), 1)[0];
        const result = r.int(2) ? { done: j.id } : undefined;
        await both("complete", (s) => s.complete({ workerId: j.lease.workerId, jobs: [{ id: j.id, token: j.lease.token, result }], now: now() }));
      } else if (roll < 63 && held.length) {
        const j = held.splice(r.int(held.length), 1)[0];
        const retryAt = r.int(2) ? dueIn(r.int(3_000)) : undefined;
        await both("fail", (s) => s.fail({ workerId: j.lease.workerId, id: j.id, token: j.lease.token, error: { attempt: j.attemptsMade + 1, message: `boom ${step}` }, retryAt, now: now() }));
      } else if (roll < 66 && held.length) {
        const j = held.splice(r.int(held.length), 1)[0];
        // Sometimes from the wrong worker: a fenced no-op.
        const workerId = r.int(4) === 0 ? "intruder" : j.lease.workerId;
        await both("cancelHeld", (s) => s.cancelHeld({ workerId, id: j.id, token: j.lease.token, now: now() }));
      } else if (roll < 69 && held.length) {
        const j = held.splice(r.int(held.length), 1)[0];
        await both("release", (s) => s.release({ workerId: j.lease.workerId, jobs: [{ id: j.id, token: j.lease.token }] }));
      } else if (roll < 72 && held.length) {
        const refs = held.slice(0, 3);
        await both("extend", (s) => s.extendLeases({ workerId: "w1", jobs: refs.map((j) => ({ id: j.id, token: j.lease.token })), leaseMs: 10_000, now: now() }), (v) => [...v].sort());
      } else if (roll < 75) {
        // w1 heartbeats with a short TTL; when it lapses, the rescuer takes w1's jobs early.
        await both("heartbeat", (s) => s.workerHeartbeat({ info: worker("w1"), ttlMs: 3_000, now: now() }));
      } else if (roll < 78 && ids.length) {
        const id = r.pick(ids);
        await both(`cancel ${id}`, (s) => s.cancelJob({ id, now: now() }));
      } else if (roll < 81 && ids.length) {
        const id = r.pick(ids);
        if (r.int(4) === 0) {
          const queue = r.pick(QUEUES);
          const limit = 1 + r.int(3);
          // Which jobs, not their order: of jobs failed in the same ms, Redis lists ids by text, the others shortlex
          // (the contract suite checks the order by failure time).
          await both(`retryFailed ${queue}`, (s) => s.retryFailed({ queue, limit, now: now() }), (v) => ({ retried: [...v.retried].sort(), skipped: [...v.skipped].sort() }));
        } else await both(`retry ${id}`, (s) => s.retryJob({ id, now: now() }));
      } else if (roll < 83 && ids.length) {
        const id = r.pick(ids);
        await both(`remove ${id}`, (s) => s.removeJob(id));
      } else if (roll < 87) {
        await both("rescue", (s) => s.rescueExpired({ maxStalls: 1, limit: 10_000, now: now() }), (v) => ({ rescued: [...v.rescued].sort(), failed: [...v.failed].sort() }));
      } else if (roll < 89) {
        await both("promote", (s) => s.promoteDue({ limit: 100, now: now() }));
      } else if (roll < 91) {
        await both("trim", (s) => s.trim({ policy: POLICY, now: now() }));
      } else if (roll < 93) {
        const q = r.pick(QUEUES);
        if (r.int(2)) await both("pause", (s) => s.pauseQueue(q));
        else await both("resume", (s) => s.resumeQueue(q));
      } else if (roll < 95 && held.length) {
        const j = r.pick(held);
        if (r.int(2)) await both("progress", (s) => s.progress({ id: j.id, token: j.lease.token, progress: { pct: step % 100 } }));
        else {
          const lines = Array.from({ length: 1 + r.int(3) }, (_, k) => ({ at: now(), attempt: j.attemptsMade + 1, level: "info" as const, msg: `step ${step}.${k}`, fields: { list: [], nested: { x: k } } }));
          await both("appendLogs", (s) => s.appendLogs({ id: j.id, token: j.lease.token, lines }));
        }
      } else {
        clock.advance(r.pick([1, 100, 1_000, 4_000, 11_000]));
      }

      // Counts are kept as jobs move (tally.ts), not scanned: after every step they must equal a scan, in both stores.
      await expectCountsMatchScan(mem, `memory, seed ${seed}, step ${step}`);
      await expectCountsMatchScan(other.store, `other store, seed ${seed}, step ${step}`);

      if (step % 25 === 24) {
        await both("nextDueAt", (s) => s.nextDueAt());
        await both("counts", (s) => s.counts(QUEUES), (v) => [...v].sort((a, b) => a.queue.localeCompare(b.queue)));
        await both("workers", (s) => s.listWorkers({ now: now() }));
        for (const p of [{ limit: 7 }, { limit: 5, state: "waiting" as const }, { limit: 4, queue: "low" }, { limit: 3, name: "a", state: "completed" as const }]) {
          let cursor: string | undefined;
          for (let page = 0; page < 4; page++) {
            const got = await both(`list ${JSON.stringify(p)}`, (s) => s.listJobs({ ...p, cursor }));
            cursor = got?.nextCursor;
            if (!cursor) break;
          }
        }
        for (const id of ids) await both(`get ${id}`, (s) => s.getJob(id), normaliseJob);
      }
    }
  } finally {
    await other.cleanup();
  }
}

/** Counts per queue and state by listing every job: the scan `counts()` no longer does. */
export async function scanCounts(store: Store, queues: string[]): Promise<QueueCounts[]> {
  const byQueue = new Map<string, QueueCounts>();
  const row = (queue: string) => {
    let c = byQueue.get(queue);
    if (!c) {
      c = { queue, paused: false } as QueueCounts;
      for (const s of JOB_STATES) c[s] = 0;
      byQueue.set(queue, c);
    }
    return c;
  };
  for (const q of queues) row(q);
  let cursor: string | undefined;
  do {
    const page = await store.listJobs({ limit: 500, cursor });
    for (const job of page.jobs) row(job.queue)[job.state]++;
    cursor = page.nextCursor;
  } while (cursor);
  return [...byQueue.values()];
}

async function expectCountsMatchScan(store: Store, where: string): Promise<void> {
  const strip = (rows: QueueCounts[]) => rows.map(({ paused: _, ...c }) => c).sort((a, b) => a.queue.localeCompare(b.queue));
  expect({ where, counts: strip(await store.counts(QUEUES)) }).toEqual({ where, counts: strip(await scanCounts(store, QUEUES)) });
}

/** Undefined-valued keys (memory keeps `uniqueKey: undefined`) compare equal to absent ones. */
function normaliseJob(j: JobRecord | undefined): unknown {
  return j && JSON.parse(JSON.stringify(j));
}
