/**
 * Records every event of a TypedEmitter from the moment it is attached, so
 * a test can await an event that may already have fired (a fast job can
 * start and end before the enqueue call returns to the test).
 */

import type { TypedEmitter } from "../../src/core/service.ts";

export class EventLog<Events extends Record<string, unknown>> {
  private readonly seen: { event: keyof Events; payload: unknown; used: boolean }[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(emitter: TypedEmitter<Events>, events: (keyof Events)[]) {
    for (const event of events) {
      emitter.on(event, (payload) => {
        this.seen.push({ event, payload, used: false });
        for (const w of [...this.waiters]) w();
      });
    }
  }

  all<K extends keyof Events>(event: K): Events[K][] {
    return this.seen.filter((s) => s.event === event).map((s) => s.payload as Events[K]);
  }

  /**
   * The next not-yet-consumed `event` matching `match`, already seen or still to come.
   * Consuming lets a test await the 1st, then the 2nd matching event in turn.
   */
  next<K extends keyof Events>(event: K, match: (p: Events[K]) => boolean = () => true, timeoutMs = 15_000): Promise<Events[K]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.seen.find((s) => !s.used && s.event === event && match(s.payload as Events[K]));
        if (!hit) return false;
        hit.used = true;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(hit.payload as Events[K]);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no "${String(event)}" event matched within ${timeoutMs} ms`));
      }, timeoutMs);
      if (!check()) this.waiters.add(check);
    });
  }
}
