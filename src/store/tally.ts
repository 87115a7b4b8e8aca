/**
 * Jobs per queue and state, kept as jobs change state rather than counted
 * by a scan, so `counts()` (`GET /api/queues`, `status`, the dashboard)
 * costs the same with 1,000 jobs or 1,000,000 (issue 17).
 *
 * The memory store keeps one Tally for its whole life. The SQLite store
 * fills one per write transaction with the moves that transaction made, and
 * adds it to its `queue_counts` table before the commit: one row update per
 * queue touched, whatever the batch size (per-row triggers cost ~10 µs a
 * job; this costs a few µs a batch).
 */

import { JOB_STATES, type JobState, type QueueCounts } from "../core/types.ts";

/** Column of each state in a tally row, in JOB_STATES order. */
export const STATE_INDEX: Readonly<Record<JobState, number>> = Object.fromEntries(JOB_STATES.map((s, i) => [s, i])) as Record<JobState, number>;

export class Tally {
  /** Queue → one count per state (JOB_STATES order); insertion order is the order queues first had a job. */
  private readonly byQueue = new Map<string, number[]>();

  /** `n` jobs entered `state` (enqueued) or, with a negative `n`, left the store (trimmed, removed). */
  add(queue: string, state: JobState, n = 1): void {
    this.row(queue)[STATE_INDEX[state]] += n;
  }

  /** `n` jobs of `queue` moved from one state to another. */
  move(queue: string, from: JobState, to: JobState, n = 1): void {
    if (from === to || n === 0) return;
    const row = this.row(queue);
    row[STATE_INDEX[from]] -= n;
    row[STATE_INDEX[to]] += n;
  }

  get(queue: string, state: JobState): number {
    return this.byQueue.get(queue)?.[STATE_INDEX[state]] ?? 0;
  }

  /** Queues with their counts (JOB_STATES order), in the order they first appeared. */
  entries(): IterableIterator<[string, number[]]> {
    return this.byQueue.entries();
  }

  get empty(): boolean {
    return this.byQueue.size === 0;
  }

  clear(): void {
    this.byQueue.clear();
  }

  private row(queue: string): number[] {
    let row = this.byQueue.get(queue);
    if (!row) this.byQueue.set(queue, (row = [0, 0, 0, 0, 0, 0]));
    return row;
  }
}

/**
 * The `counts()` answer from per-queue rows: the named queues first, in
 * their order (zeros when they have no jobs), then every other queue that
 * has jobs, in the order given.
 */
export function countsFromRows(named: string[], paused: ReadonlySet<string>, rows: Iterable<[string, ArrayLike<number>]>): QueueCounts[] {
  const out = new Map<string, QueueCounts>();
  const make = (queue: string, n?: ArrayLike<number>): QueueCounts => {
    const c = { queue, paused: paused.has(queue) } as QueueCounts;
    JOB_STATES.forEach((s, i) => (c[s] = n?.[i] ?? 0));
    return c;
  };
  for (const q of named) out.set(q, make(q));
  for (const [queue, n] of rows) {
    if (out.has(queue)) out.set(queue, make(queue, n));
    else if (Array.prototype.some.call(n, (x: number) => x !== 0)) out.set(queue, make(queue, n));
  }
  return [...out.values()];
}
