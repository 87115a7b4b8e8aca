/**
 * The run-sleep-repeat engine under every scheduler service (leader, cron,
 * promoter, rescuer, retention), so each of them only says what one round
 * does and how long to sleep after it. It owns three things the services
 * must all get right: a round that throws never kills the loop, `stop()`
 * waits for the round in flight, and `wake()` cuts a sleep short (after a
 * resume, a new leader, or a fake clock moved by a test).
 */

import { toError } from "../core/errors.ts";

export interface LoopOptions {
  /** One round; resolves to how long to sleep (ms) before the next. */
  round(): Promise<number>;
  /** A round threw; returns how long to sleep before trying again. */
  onError(err: Error): number;
}

export class Loop {
  private controller: AbortController | undefined;
  private running: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private cutSleep: (() => void) | undefined;
  /** A wake() that arrived during a round: the next sleep is skipped, so the wake is never lost. */
  private wakePending = false;

  constructor(private readonly opts: LoopOptions) {}

  get active(): boolean {
    return this.running !== undefined;
  }

  /** Starts the loop (first round at once); a no-op while it runs. Restartable after stop(). */
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
    this.cutSleep?.();
    this.stopping = running;
    await running;
    if (this.stopping === running) this.stopping = undefined;
  }

  /** Run the next round now instead of after the current sleep. */
  wake(): void {
    if (!this.running) return;
    this.wakePending = true;
    this.cutSleep?.();
  }

  private async run(signal: AbortSignal): Promise<void> {
    this.wakePending = false;
    while (!signal.aborted) {
      let delay: number;
      try {
        delay = await this.opts.round();
      } catch (err) {
        delay = this.opts.onError(toError(err));
      }
      if (signal.aborted) break;
      if (this.wakePending) {
        this.wakePending = false;
        continue;
      }
      await this.sleep(Math.max(0, delay), signal);
    }
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        if (this.cutSleep === done) this.cutSleep = undefined;
        this.wakePending = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
      this.cutSleep = done;
    });
  }
}
