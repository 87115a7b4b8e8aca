/**
 * The one shape of every background loop in qworker: the pool's fetch
 * loop, the lease keeper, the heartbeat, the supervisor's child keepers,
 * the Redis wake-up listener and the scheduler's duties. Each says only
 * what one round does and how long to pause after it; the Loop owns what
 * they must all get right:
 *
 * 1. Cooperation: between two rounds it always yields a macrotask
 *    (setImmediate), never just a microtask. A store call that completes
 *    synchronously (SQLite) or a job that never awaits I/O would otherwise
 *    keep the loop on the microtask queue, starving timers (lease renewal),
 *    signal handlers and HTTP until the backlog is gone.
 * 2. A round that throws never kills the loop: the error is reported and
 *    the next round waits a pause that grows with consecutive failures.
 * 3. `stop()` is idempotent, aborts the round's signal, cuts the pause and
 *    waits for the round in flight; `start()` after `stop()` restarts.
 * 4. `wake()` cuts a pause short; a wake during a round skips the next
 *    pause, so it is never lost.
 */

import { toError } from "./errors.ts";
import { TypedEmitter } from "./service.ts";

export interface LoopOptions {
  /** Names the loop in events (`"fetch"`, `"lease-keeper"`, …). */
  name: string;
  /**
   * One round. Resolves to how long to pause before the next (ms); 0 or
   * nothing means only the macrotask yield. A round that waits (for work,
   * for a child to exit) should end its wait when `signal` aborts.
   */
  round(signal: AbortSignal): Promise<number | void>;
  /** A round threw; returns the pause before trying again. `failures` counts consecutive failed rounds, from 1. */
  onError(err: Error, failures: number): number;
}

export interface LoopEvents extends Record<string, unknown> {
  "loop:error": { loop: string; error: Error; failures: number; pauseMs: number };
  "loop:stopped": { loop: string };
}

/** A pause that grows with consecutive failures: `initialMs`, doubled each time, capped at `maxMs`. */
export function growingPause(initialMs: number, maxMs: number): (failures: number) => number {
  return (failures) => Math.min(maxMs, initialMs * 2 ** Math.min(20, Math.max(0, failures - 1)));
}

/** Yields to the event loop's other phases (timers, I/O, signals) before resolving. ~1.5 µs. */
export function yieldMacrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class Loop {
  readonly events = new TypedEmitter<LoopEvents>();
  private controller: AbortController | undefined;
  private running: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private cutPause: (() => void) | undefined;
  /** A wake() that arrived during a round: the next pause is skipped, so the wake is never lost. */
  private wakePending = false;

  constructor(private readonly opts: LoopOptions) {}

  get name(): string {
    return this.opts.name;
  }

  get active(): boolean {
    return this.running !== undefined;
  }

  /** Starts the loop (first round after one macrotask); a no-op while it runs. Restartable after stop(). */
  start(): void {
    if (this.running) return;
    const controller = (this.controller = new AbortController());
    // A start() right after a stop() that is still finishing its round runs after it, never beside it.
    const previous = this.stopping ?? Promise.resolve();
    this.running = previous.then(() => this.run(controller.signal));
  }

  /** Ends the loop after the round in flight; safe to call twice and before start. */
  async stop(): Promise<void> {
    const running = this.running;
    if (!running) return this.stopping;
    this.running = undefined;
    this.controller?.abort();
    this.cutPause?.();
    this.stopping = running;
    await running;
    if (this.stopping === running) this.stopping = undefined;
  }

  /** Run the next round now instead of after the current pause. */
  wake(): void {
    if (!this.running) return;
    this.wakePending = true;
    this.cutPause?.();
  }

  private async run(signal: AbortSignal): Promise<void> {
    this.wakePending = false;
    let failures = 0;
    while (!signal.aborted) {
      await yieldMacrotask();
      if (signal.aborted) break;
      let pause: number;
      try {
        pause = (await this.opts.round(signal)) ?? 0;
        failures = 0;
      } catch (err) {
        failures++;
        const error = toError(err);
        pause = this.opts.onError(error, failures);
        this.events.emit("loop:error", { loop: this.opts.name, error, failures, pauseMs: pause });
      }
      if (signal.aborted) break;
      if (this.wakePending) {
        this.wakePending = false;
        continue;
      }
      if (pause > 0) await this.pause(pause, signal);
    }
    this.events.emit("loop:stopped", { loop: this.opts.name });
  }

  private pause(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        if (this.cutPause === done) this.cutPause = undefined;
        this.wakePending = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
      this.cutPause = done;
    });
  }
}
