/**
 * The waiting jobs of one queue in claim order (priority, then FIFO), for
 * the memory store. One FIFO per priority level instead of a heap: jobs
 * join at the back (enqueue, promotion and retry all take a new, highest
 * sequence number), so a claim is an O(1) shift, where a heap paid
 * O(log n) per pop and per push (14% of a memory drain's CPU).
 *
 * Release and rescue keep a job's old sequence number, so it goes back to
 * where it stood: a sorted insert (binary search; at the head, where these
 * usually land, O(1)). Entries are deleted lazily, as the heap did: one
 * whose job has moved on is skipped when it reaches the front.
 */

import type { JobRecord } from "../../core/types.ts";

export interface Slot {
  rec: JobRecord;
  /** The job's sequence number when it joined; stale once the job leaves or rejoins with another. */
  seq: number;
}

class Fifo {
  private items: Slot[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  peek(): Slot | undefined {
    return this.items[this.head];
  }

  shift(): Slot | undefined {
    if (this.head >= this.items.length) return undefined;
    const slot = this.items[this.head];
    this.items[this.head++] = undefined as never;
    // Give the consumed front back now and then; amortised O(1).
    if (this.head >= 1_024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return slot;
  }

  /** In sequence order: at the back for a newcomer, where it stood for a job put back. */
  insert(slot: Slot): void {
    const a = this.items;
    if (a.length === this.head || a[a.length - 1].seq < slot.seq) {
      a.push(slot);
      return;
    }
    let lo = this.head;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid].seq < slot.seq) lo = mid + 1;
      else hi = mid;
    }
    if (lo === this.head && this.head > 0) a[--this.head] = slot;
    else a.splice(lo, 0, slot);
  }
}

export class WaitingLine {
  private readonly levels = new Map<number, Fifo>();
  /** Priority levels present, lowest (first to run) first. */
  private readonly order: number[] = [];
  private count = 0;

  /** Entries, stale ones included: 0 means surely nothing waits. */
  get size(): number {
    return this.count;
  }

  insert(slot: Slot): void {
    const priority = slot.rec.priority;
    let fifo = this.levels.get(priority);
    if (!fifo) {
      fifo = new Fifo();
      this.levels.set(priority, fifo);
      let at = 0;
      while (at < this.order.length && this.order[at] < priority) at++;
      this.order.splice(at, 0, priority);
    }
    fifo.insert(slot);
    this.count++;
  }

  /** The entry that `shift` would take next (stale or not), without taking it. */
  peekFront(): Slot | undefined {
    for (const priority of this.order) {
      const slot = this.levels.get(priority)!.peek();
      if (slot) return slot;
    }
    return undefined;
  }

  /** The sequence number at the front of one priority level (stale or not), if it has any. */
  headSeq(priority: number): number | undefined {
    return this.levels.get(priority)?.peek()?.seq;
  }

  /** The front entry of the first non-empty level, taken out; stale or not, the caller decides. */
  shift(): Slot | undefined {
    // Emptied levels ahead of the first busy one are dropped, so a claim never walks past them twice.
    while (this.order.length > 0) {
      const priority = this.order[0];
      const fifo = this.levels.get(priority)!;
      if (fifo.size > 0) {
        this.count--;
        return fifo.shift();
      }
      this.levels.delete(priority);
      this.order.shift();
    }
    return undefined;
  }
}
