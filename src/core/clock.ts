/**
 * Time is injected everywhere so cron, backoff, leases and retention can be
 * tested with a fake clock. `now()` is wall time (stored in records);
 * `mono()` is monotonic (for measuring durations, immune to clock jumps).
 */

export interface Clock {
  now(): number;
  mono(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  mono: () => performance.now(),
};

/** A clock tests move by hand. `set` may go backwards to simulate NTP steps. */
export class FakeClock implements Clock {
  private wall: number;
  private monotonic = 0;

  constructor(start: number | Date = Date.UTC(2026, 0, 1)) {
    this.wall = typeof start === "number" ? start : start.getTime();
  }

  now(): number {
    return this.wall;
  }

  mono(): number {
    return this.monotonic;
  }

  advance(ms: number): void {
    this.wall += ms;
    this.monotonic += Math.max(0, ms);
  }

  /** Jump the wall clock; the monotonic clock never moves backwards. */
  set(wall: number | Date): void {
    const next = typeof wall === "number" ? wall : wall.getTime();
    this.monotonic += Math.max(0, next - this.wall);
    this.wall = next;
  }
}
