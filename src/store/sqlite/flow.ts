/**
 * Flow control in the SQLite store (core/flow.ts), run inside the write
 * transaction of the claim or move it belongs to, so it holds across every
 * process sharing the file. One FlowTx per transaction caches the key rows
 * it reads and writes them back once at the end (`flush`).
 *
 * As in the memory store, a claimed job over a limit goes straight back,
 * parked on its key (statements.ts `park`: out of the claim order, its place
 * kept); whenever a key frees up (a slot comes back, its time passes) one
 * parked job returns to its place, and claiming it may free the next.
 */

import { blockingLimit, giveLimits, keyBlocked, keyIdle, takeLimits, type FlowKeyState, type FlowLimit, type JobFlow } from "../../core/flow.ts";
import type { Statements } from "./statements.ts";

type KeyState = FlowKeyState & { wakeAt: number | null };

export function limitsOf(flowText: string | null): FlowLimit[] | undefined {
  if (flowText === null) return undefined;
  const limits = (JSON.parse(flowText) as JobFlow).limits;
  return limits?.length ? limits : undefined;
}

export class FlowTx {
  private readonly cache = new Map<string, KeyState | undefined>();
  private readonly dirty = new Set<string>();
  /** Jobs this transaction parked, per "queue\0job" (for the throttled counter). */
  readonly throttled = new Map<string, number>();
  /** Parked jobs this transaction put back in line (a claim looks again when this grows). */
  unparked = 0;

  constructor(
    private readonly st: Statements,
    private readonly now: number,
  ) {}

  /** Keys whose wake time came: each may hand one parked job back. */
  wakeDue(): void {
    for (const { key } of this.st.flowDue.all(this.now)) {
      const s = this.get(key);
      if (!s) continue;
      s.wakeAt = null;
      this.dirty.add(key);
      this.touch(key);
    }
  }

  /** True when the claimed job may start (its slots are then taken); false when it was parked. */
  tryStart(id: string, queue: string, name: string, limits: readonly FlowLimit[]): boolean {
    const block = blockingLimit(limits, (k) => this.get(k), this.now);
    if (block) {
      this.st.parkPlace.run(block.key, id);
      this.st.park.run(block.key, id);
      const s = this.state(block.key);
      s.parked += 1;
      if (block.until !== undefined) this.scheduleWake(s, block.until);
      const t = `${queue}\u0000${name}`;
      this.throttled.set(t, (this.throttled.get(t) ?? 0) + 1);
      return false;
    }
    takeLimits(limits, (k) => this.state(k), this.now);
    for (const l of limits) this.touch(l.key);
    return true;
  }

  /** A job left `active`: its concurrency slots come back. */
  give(limits: readonly FlowLimit[] | undefined): void {
    if (!limits) return;
    for (const key of giveLimits(limits, (k) => this.get(k))) {
      this.dirty.add(key);
      this.touch(key);
    }
  }

  /** ctx.rateLimited: the keys start nothing until `until`. */
  pause(limits: readonly FlowLimit[], until: number): void {
    for (const l of limits) {
      const s = this.state(l.key);
      s.nextAt = Math.max(s.nextAt, until);
      this.touch(l.key);
    }
  }

  /** Reads the states of these keys in one statement (a claim or a batch of completions touches many). */
  prefetch(keys: Iterable<string>): void {
    const wanted = [...new Set(keys)].filter((k) => !this.cache.has(k));
    if (wanted.length === 0) return;
    if (wanted.length === 1) {
      this.get(wanted[0]);
      return;
    }
    for (const k of wanted) this.cache.set(k, undefined);
    for (const row of this.st.flowKeysIn.all(JSON.stringify(wanted))) {
      this.cache.set(row.key, { active: row.active, nextAt: row.next_at, max: row.max ?? undefined, parked: row.parked, wakeAt: row.wake_at });
    }
  }

  /** Writes the keys back; drops the idle ones. Call last in the transaction. One statement per key: faster than one JSON batch (measured). */
  flush(): void {
    for (const key of this.dirty) {
      const s = this.cache.get(key);
      if (!s) continue;
      if (keyIdle(s, this.now)) this.st.flowKeyDelete.run(key);
      else this.st.flowKeyPut.run(key, s.active, s.nextAt, s.max ?? null, s.parked, s.wakeAt);
    }
    this.dirty.clear();
  }

  private get(key: string): KeyState | undefined {
    if (this.cache.has(key)) return this.cache.get(key);
    const row = this.st.flowKey.get(key);
    const s: KeyState | undefined = row ? { active: row.active, nextAt: row.next_at, max: row.max ?? undefined, parked: row.parked, wakeAt: row.wake_at } : undefined;
    this.cache.set(key, s);
    return s;
  }

  private state(key: string): KeyState {
    let s = this.get(key);
    if (!s) this.cache.set(key, (s = { active: 0, nextAt: 0, parked: 0, wakeAt: null }));
    this.dirty.add(key);
    return s;
  }

  private scheduleWake(s: KeyState, at: number): void {
    if (s.wakeAt === null || at < s.wakeAt || s.wakeAt <= this.now) s.wakeAt = at;
  }

  private touch(key: string): void {
    const s = this.get(key);
    if (!s || s.parked <= 0) return;
    this.dirty.add(key);
    if (s.nextAt > this.now) this.scheduleWake(s, s.nextAt);
    else if (!keyBlocked(s, this.now)) {
      // Entries of jobs that left since (cancelled, removed) are dropped on the way.
      for (;;) {
        const first = this.st.parkedFirst.get(key);
        if (!first) {
          s.parked = 0;
          break;
        }
        s.parked = Math.max(0, s.parked - 1);
        if (this.st.unpark.get(first.job, key)) {
          this.unparked += 1;
          break;
        }
      }
    }
  }
}

/**
 * A grouped job's place in line (fair share): one past its group's last
 * place, but never ahead of the line's head, so an idle group joins the
 * current round instead of jumping ahead or starting at the back.
 */
export function fairSeq(st: Statements, queue: string, priority: number, group: string, back: number): number {
  const k = `${queue}\u0000${priority}\u0000${group}`;
  const head = st.lineHead.get(queue, priority)?.seq ?? back;
  const last = st.groupLast.get(k)?.last;
  const seq = last === undefined || last + 1 < head ? head : last + 1;
  st.groupPut.run(k, seq);
  return seq;
}

/** The keys of the limits of these jobs, as this store remembers them from their claims. */
export function keysOf(jobs: { id: string }[], claimedFlow: Map<string, FlowLimit[]>): string[] {
  const keys: string[] = [];
  for (const j of jobs) for (const l of claimedFlow.get(j.id) ?? []) keys.push(l.key);
  return keys;
}

/** A parked job leaves without coming back (cancel, remove): out of its key's line and count. */
export function unparkGone(st: Statements, key: string, id: string): void {
  if (st.unparkGone.run(key, id).changes > 0) st.parkedDown.run(key);
}
