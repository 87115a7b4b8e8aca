/**
 * Keeps the store from growing without bound: every `retentionInterval`
 * (default 60 s) it deletes completed and failed jobs past the configured
 * age or count (`config.retention`). Only the leader runs it.
 */

import type { Config } from "../config/schema.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import type { RetentionPolicy, Store } from "../store/store.ts";
import { LoopService } from "./loop-service.ts";

export interface RetentionEvents extends Record<string, unknown> {
  "retention:done": { removed: number };
  "scheduler:error": { service: string; error: Error };
}

export interface RetentionOptions {
  store: Store;
  clock: Clock;
  log: Logger;
  intervalMs: number;
  policy: RetentionPolicy;
}

export function retentionPolicy(retention: Config["retention"]): RetentionPolicy {
  return {
    completedMaxAgeMs: retention.completedMaxAge,
    completedMaxCount: retention.completedMaxCount,
    failedMaxAgeMs: retention.failedMaxAge,
    failedMaxCount: retention.failedMaxCount,
  };
}

export class Retention extends LoopService<RetentionEvents> {

  constructor(private readonly opts: RetentionOptions) {
    super({ service: "retention", failure: "trimming old jobs", log: opts.log, retryAfterMs: opts.intervalMs });
  }


  protected async round(): Promise<number> {
    const removed = await this.opts.store.trim({ policy: this.opts.policy, now: this.opts.clock.now() });
    if (removed > 0) this.opts.log.info("removed old finished jobs", { removed });
    this.events.emit("retention:done", { removed });
    return this.opts.intervalMs;
  }
}
