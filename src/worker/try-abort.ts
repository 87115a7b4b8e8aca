/**
 * How a try is told to stop (timeout, cancel, lost lease, shutdown) without
 * an AbortController per job: most tries never look at `ctx.signal` and are
 * never aborted, and a controller plus its listener cost ~2 µs a job, a
 * tenth of a no-op job's whole cost. The AbortSignal is made on first use
 * (`signal`), already aborted with the reason if the abort came first, so a
 * job sees exactly what a real controller would show it. Aborting calls one
 * hook (the executor's grace timer) without an event listener.
 */

export class TryAbort {
  private controller: AbortController | undefined;
  private why: unknown;
  private done = false;
  private hook: (() => void) | undefined;

  get aborted(): boolean {
    return this.done;
  }

  /** Why it was aborted (a TimedOut, Cancelled, ShuttingDown…); undefined while not. */
  get reason(): unknown {
    return this.why;
  }

  /** The try's AbortSignal (`ctx.signal`), made now if nobody asked before. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.done) this.controller.abort(this.why);
    }
    return this.controller.signal;
  }

  /** Idempotent: the first reason stays. */
  abort(reason: unknown = new DOMException("This operation was aborted", "AbortError")): void {
    if (this.done) return;
    this.done = true;
    this.why = reason;
    this.controller?.abort(reason);
    const hook = this.hook;
    this.hook = undefined;
    hook?.();
  }

  /** Calls `fn` once when aborted (at once if it already is); a later call replaces an earlier hook. */
  onAbort(fn: () => void): void {
    if (this.done) fn();
    else this.hook = fn;
  }

  /** Drop the hook: the try is over. */
  clearHook(): void {
    this.hook = undefined;
  }
}
