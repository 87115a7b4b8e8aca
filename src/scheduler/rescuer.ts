/**
 * Brings back jobs whose worker vanished: every `rescueInterval` (default
 * 2 s) it asks the store for active jobs whose lease ran out or whose
 * worker's heartbeat lapsed (a killed worker is noticed in seconds); each goes
 * back to waiting with a stall counted, or fails with "stalled too many
 * times" past `maxStalls` (the poison-job guard). Only the leader runs it,
 * so the fleet makes one scan per interval, not one per process.
 */

import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import type { Store } from "../store/store.ts";
import { LoopService } from "./loop-service.ts";

export interface RescuerEvents extends Record<string, unknown> {
  /** After every scan, also when nothing was found. */
  "rescue:done": { rescued: string[]; failed: string[] };
  "scheduler:error": { service: string; error: Error };
}

export interface RescuerOptions {
  store: Store;
  clock: Clock;
  log: Logger;
  intervalMs: number;
  maxStalls: number;
  /** Jobs per store call; default 1,000 (a full batch scans again at once). */
  batch?: number;
}

const DEFAULT_BATCH = 1_000;

export class Rescuer extends LoopService<RescuerEvents> {
  private readonly batch: number;

  constructor(private readonly opts: RescuerOptions) {
    super({ service: "rescuer", failure: "rescuing expired leases", log: opts.log, retryAfterMs: opts.intervalMs });
    this.batch = opts.batch ?? DEFAULT_BATCH;
  }


  protected async round(): Promise<number> {
    const { rescued, failed } = await this.opts.store.rescueExpired({ maxStalls: this.opts.maxStalls, limit: this.batch, now: this.opts.clock.now() });
    if (rescued.length) this.opts.log.info("rescued jobs whose worker died or stopped renewing their lease", { count: rescued.length, ids: rescued.slice(0, 20) });
    if (failed.length) this.opts.log.warn("failed jobs that stalled too many times", { count: failed.length, maxStalls: this.opts.maxStalls, ids: failed.slice(0, 20) });
    this.events.emit("rescue:done", { rescued, failed });
    return rescued.length + failed.length >= this.batch ? 0 : this.opts.intervalMs;
  }
}
