/**
 * Many deadlines on one timer. Every async try has a timeout, and every
 * aborted one a grace before it is written off; a setTimeout and a
 * clearTimeout per job cost ~1 µs of a no-op job's ~10. Here one timer is
 * armed for the earliest deadline only: adding a later one costs a Set
 * insert, and a try that ends just leaves the set. When the timer fires,
 * due deadlines fire and the timer is armed for the next one (a scan of the
 * pending set, which holds at most the running tries).
 *
 * Deadlines are on the monotonic clock (`performance.now()`), like timers,
 * so a wall-clock jump moves no timeout. The timer is not unref'd: a try
 * waiting on its timeout keeps the process alive, as its own timer did.
 */

export interface Deadline {
  /** performance.now() at which `fire` runs. */
  at: number;
  fire(): void;
}

export class Deadlines {
  private readonly pending = new Set<Deadline>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** When the armed timer fires; Infinity when none is armed. */
  private timerAt = Number.POSITIVE_INFINITY;

  get size(): number {
    return this.pending.size;
  }

  add(d: Deadline): void {
    this.pending.add(d);
    if (d.at < this.timerAt) this.arm(d.at);
  }

  remove(d: Deadline): void {
    if (!this.pending.delete(d)) return;
    if (this.pending.size === 0) this.disarm();
  }

  private arm(at: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.sweep(), Math.max(0, at - performance.now()));
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  private sweep(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = performance.now();
    const due: Deadline[] = [];
    for (const d of this.pending) if (d.at <= now) due.push(d);
    for (const d of due) {
      this.pending.delete(d);
      try {
        d.fire();
      } catch {
        // A deadline's own bug must not stop the others.
      }
    }
    // fire() may have added deadlines (and armed the timer); arm for the earliest left.
    let next = Number.POSITIVE_INFINITY;
    for (const d of this.pending) if (d.at < next) next = d.at;
    if (next < this.timerAt) this.arm(next);
  }
}
