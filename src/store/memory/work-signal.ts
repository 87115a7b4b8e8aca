/**
 * In-process wake-ups: idle processors wait here instead of polling, and an
 * enqueue (or a release, a promotion, a resume) wakes them at once. The
 * SQLite store reuses it for processors that share its process.
 */

import { abortableSleep } from "../../core/service.ts";

export class WorkSignal {
  private waiters = new Set<() => void>();

  /** Resolves on the next `wakeAll`, after `ms`, or on abort, whichever is first. */
  async wait(ms: number, signal?: AbortSignal): Promise<void> {
    const inner = new AbortController();
    const onAbort = () => inner.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    const wake = () => inner.abort();
    this.waiters.add(wake);
    try {
      await abortableSleep(ms, inner.signal);
    } finally {
      this.waiters.delete(wake);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  wakeAll(): void {
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiting) wake();
  }
}
