/**
 * The shell every periodic scheduler service shares (cron, promoter,
 * rescuer, retention): a Loop with start/stop/wake, typed events, and one
 * way of reporting a failed round (a warning plus a `scheduler:error`
 * event) before retrying. A service only writes its `round()`.
 */

import type { Logger } from "../core/logger.ts";
import { TypedEmitter, type Service } from "../core/service.ts";
import { Loop } from "../core/loop.ts";

export interface SchedulerErrorEvent extends Record<string, unknown> {
  "scheduler:error": { service: string; error: Error };
}

export interface LoopServiceOptions {
  /** Names the service in logs and `scheduler:error` events. */
  service: string;
  /** What failed, for the warning: "promoting delayed jobs". */
  failure: string;
  log: Logger;
  /** Sleep after a failed round before trying again. */
  retryAfterMs: number;
}

export abstract class LoopService<Events extends Record<string, unknown> & SchedulerErrorEvent> implements Service {
  readonly events = new TypedEmitter<Events>();
  private readonly loop: Loop;

  constructor(opts: LoopServiceOptions) {
    this.loop = new Loop({
      name: opts.service,
      round: () => this.round(),
      onError: (error) => {
        opts.log.warn(`${opts.failure} failed; retrying`, { error: error.message });
        (this.events as unknown as TypedEmitter<SchedulerErrorEvent>).emit("scheduler:error", { service: opts.service, error });
        return opts.retryAfterMs;
      },
    });
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Run the next round now (after a resume, a new leader, or a test moving its fake clock). */
  wake(): void {
    this.loop.wake();
  }

  /** One round; resolves to how long to sleep before the next. */
  protected abstract round(): Promise<number>;
}
