/**
 * The memory store's flow control (core/flow.ts): per key, the active count
 * and the next allowed start; the jobs parked on a key; the times keys free
 * up; queues paused by ctx.rateLimited; the fair-share position of groups.
 *
 * A waiting job whose key is at its limit is parked: it leaves its queue's
 * line (so claims never walk past it again) for the key's own line, in the
 * same order. When the key frees up (a slot comes back, its pause or rate
 * spacing passes) one parked job goes back where it stood; claiming it may
 * free the next. So the cost of a limit is paid per job once, never per
 * claim per blocked job.
 */

import { blockingLimit, emptyKeyState, giveLimits, keyBlocked, keyIdle, takeLimits, type FlowKeyState, type FlowLimit } from "../../core/flow.ts";
import type { JobRecord } from "../../core/types.ts";
import type { FlowStatus, LimitedKey } from "../store.ts";
import { MinHeap } from "./heap.ts";
import { WaitingLine, type Slot } from "./waiting-line.ts";

interface Wake {
  at: number;
  key: string;
}

export class FlowBook {
  private readonly keys = new Map<string, FlowKeyState>();
  private readonly parkedLines = new Map<string, WaitingLine>();
  /** job id → the key it is parked on. */
  private readonly parkedOn = new Map<string, string>();
  private readonly wakes = new MinHeap<Wake>((a, b) => a.at < b.at);
  private readonly wakeAt = new Map<string, number>();
  private readonly holds = new Map<string, number>();
  private readonly groups = new Map<string, number>();
  /** Jobs a claim left waiting because a key was at its limit, per "queue\0job". */
  readonly throttled = new Map<string, number>();

  constructor(
    /** Puts an unparked job back in its queue's line at its sequence number. */
    private readonly unpark: (rec: JobRecord) => void,
    /** True while the slot still stands for the job as it was parked (not cancelled, removed or re-queued since). */
    private readonly current: (slot: Slot) => boolean,
  ) {}

  /** Keys whose time came: each may hand one parked job back. */
  wake(now: number): void {
    while (this.wakes.size > 0 && this.wakes.peek()!.at <= now) {
      const { at, key } = this.wakes.pop()!;
      if (this.wakeAt.get(key) !== at) continue;
      this.wakeAt.delete(key);
      this.touch(key, now);
    }
  }

  /** Epoch ms of the next key or queue to free up by time alone, if any. */
  nextWake(now: number): number | undefined {
    let next = this.wakes.peek()?.at;
    for (const [queue, until] of this.holds) {
      if (until <= now) this.holds.delete(queue);
      else if (next === undefined || until < next) next = until;
    }
    return next;
  }

  /** The queue was paused by ctx.rateLimited of a job with no keys, and still is. */
  held(queue: string, now: number): boolean {
    const until = this.holds.get(queue);
    return until !== undefined && until > now;
  }

  /** Claim check: undefined when the job may start (its slots are then taken), else the job is parked. */
  tryStart(rec: JobRecord, slot: Slot, limits: readonly FlowLimit[], now: number): boolean {
    const block = blockingLimit(limits, (k) => this.keys.get(k), now);
    if (block) {
      const s = this.state(block.key);
      s.parked += 1;
      let line = this.parkedLines.get(block.key);
      if (!line) this.parkedLines.set(block.key, (line = new WaitingLine()));
      line.insert(slot);
      this.parkedOn.set(rec.id, block.key);
      const t = `${rec.queue}\u0000${rec.name}`;
      this.throttled.set(t, (this.throttled.get(t) ?? 0) + 1);
      if (block.until !== undefined) this.scheduleWake(block.key, block.until);
      return false;
    }
    takeLimits(limits, (k) => this.state(k), now);
    // Room left (another slot, or a rate key already due): let the next parked job of each key back.
    for (const l of limits) this.touch(l.key, now);
    return true;
  }

  /**
   * Forgets up to `limit` keys that hold nothing any more: a rate key stays
   * after its last start until its spacing has passed, and nothing else
   * touches it again. Called by the rescuer's periodic pass.
   */
  sweep(now: number, limit: number): number {
    let dropped = 0;
    for (const [key, s] of this.keys) {
      if (dropped >= limit) break;
      if (keyIdle(s, now)) {
        this.keys.delete(key);
        this.parkedLines.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  /** The job left `active`: its concurrency slots come back. */
  give(rec: JobRecord, now: number): void {
    const limits = rec.flow?.limits;
    if (!limits) return;
    for (const key of giveLimits(limits, (k) => this.keys.get(k))) this.touch(key, now);
  }

  /** ctx.rateLimited: the job's keys, or its queue when it has none, start nothing until `until`. */
  pause(rec: JobRecord, until: number, now: number): void {
    const limits = rec.flow?.limits;
    if (!limits?.length) {
      this.holds.set(rec.queue, Math.max(this.holds.get(rec.queue) ?? 0, until));
      return;
    }
    for (const l of limits) {
      const s = this.state(l.key);
      s.nextAt = Math.max(s.nextAt, until);
      this.touch(l.key, now);
    }
  }

  /** The job left the waiting state some other way (cancel, remove, retry): it is no longer parked. */
  forget(id: string): void {
    this.parkedOn.delete(id);
  }

  isParked(id: string): boolean {
    return this.parkedOn.has(id);
  }

  /**
   * The sequence number that puts a grouped job in round-robin order within
   * its queue and priority: one past its group's last, but never ahead of
   * the line's head, so a group that was idle joins the current round
   * instead of starting ahead of everyone or far behind.
   */
  fairSeq(queue: string, priority: number, group: string, head: number): number {
    const k = `${queue}\u0000${priority}\u0000${group}`;
    const last = this.groups.get(k);
    const seq = last === undefined || last + 1 < head ? head : last + 1;
    this.groups.set(k, seq);
    return seq;
  }

  /** Keys holding parked jobs back (status and metrics), most waiting first. */
  status(limit: number): FlowStatus {
    const limited: LimitedKey[] = [];
    for (const [key, s] of this.keys) {
      if (s.parked <= 0) continue;
      const k: LimitedKey = { key, active: s.active, nextAt: s.nextAt, waiting: s.parked };
      if (s.max !== undefined) k.max = s.max;
      const first = this.parkedLines.get(key)?.peekFront();
      if (first) k.waitingSince = first.rec.runAt;
      limited.push(k);
    }
    limited.sort((a, b) => b.waiting - a.waiting || (a.key < b.key ? -1 : 1));
    const throttled = [...this.throttled].map(([k, count]) => {
      const [queue, job] = k.split("\u0000");
      return { queue, job, count };
    });
    return { limited: limited.slice(0, limit), throttled };
  }

  private state(key: string): FlowKeyState {
    let s = this.keys.get(key);
    if (!s) this.keys.set(key, (s = emptyKeyState()));
    return s;
  }

  private scheduleWake(key: string, at: number): void {
    if (this.wakeAt.get(key) === at) return;
    this.wakeAt.set(key, at);
    this.wakes.push({ at, key });
  }

  /** After any change to a key: hand one parked job back if the key can start one now, or wait for its time; drop it when idle. */
  private touch(key: string, now: number): void {
    const s = this.keys.get(key);
    if (!s) return;
    if (s.parked > 0) {
      if (s.nextAt > now) this.scheduleWake(key, s.nextAt);
      else if (!keyBlocked(s, now)) this.unparkOne(key, s);
    }
    if (keyIdle(s, now)) {
      this.keys.delete(key);
      this.parkedLines.delete(key);
    }
  }

  private unparkOne(key: string, s: FlowKeyState): void {
    const line = this.parkedLines.get(key);
    for (let slot = line?.shift(); slot; slot = line!.shift()) {
      s.parked -= 1;
      if (this.parkedOn.get(slot.rec.id) !== key || !this.current(slot)) continue;
      this.parkedOn.delete(slot.rec.id);
      this.unpark(slot.rec);
      return;
    }
    s.parked = 0;
  }
}
