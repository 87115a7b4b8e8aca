/**
 * Moves delayed jobs (`--in`/`--at`, retries with backoff) to waiting when
 * they fall due. Stores whose `reserve` also claims due delayed jobs do not
 * depend on it, but Redis workers block on the waiting list, so a delayed
 * job starts on time only if someone promotes it on time (100 ms p99).
 *
 * Cheap by design: one `nextDueAt()` per wake-up, then a sleep until that
 * exact moment, capped (default 1 s) so a newly enqueued, earlier job is
 * still noticed soon. No polling while nothing is due.
 */

import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import type { Store } from "../store/store.ts";
import { LoopService } from "./loop-service.ts";

export interface PromoterEvents extends Record<string, unknown> {
  /** Some due delayed jobs became waiting. */
  "promote:done": { moved: number };
  /** Going to sleep; `dueAt` is the earliest delayed job, if any (tests wait on it). */
  "promote:idle": { dueAt?: number; sleepMs: number };
  "scheduler:error": { service: string; error: Error };
}

export interface PromoterOptions {
  store: Store;
  clock: Clock;
  log: Logger;
  /** Longest sleep; default 1 s. */
  maxSleepMs?: number;
  /** Jobs moved per store call; default 1,000 (more are moved in the next round, at once). */
  batch?: number;
}

const DEFAULT_MAX_SLEEP_MS = 1_000;
const DEFAULT_BATCH = 1_000;
const RETRY_AFTER_ERROR_MS = 1_000;
const NOT_YET_RETRY_MS = 10;

export class Promoter extends LoopService<PromoterEvents> {
  private readonly maxSleepMs: number;
  private readonly batch: number;

  constructor(private readonly opts: PromoterOptions) {
    super({ service: "promoter", failure: "promoting delayed jobs", log: opts.log, retryAfterMs: RETRY_AFTER_ERROR_MS });
    this.maxSleepMs = opts.maxSleepMs ?? DEFAULT_MAX_SLEEP_MS;
    this.batch = opts.batch ?? DEFAULT_BATCH;
  }


  protected async round(): Promise<number> {
    const { store, clock } = this.opts;
    const dueAt = await store.nextDueAt();
    const wait = dueAt === undefined ? Number.POSITIVE_INFINITY : dueAt - clock.now();
    if (wait > 0) {
      // Not due yet: sleep until exactly then (timers are ms-precise), or until the cap.
      const sleepMs = Math.min(wait, this.maxSleepMs);
      this.events.emit("promote:idle", { dueAt, sleepMs });
      return sleepMs;
    }
    const moved = await store.promoteDue({ limit: this.batch, now: clock.now() });
    if (moved > 0) {
      this.events.emit("promote:done", { moved });
      // Look again at once: a full batch means more are due, otherwise the next round sleeps until the next one.
      return 0;
    }
    // Due by our clock but not by the store's (a store that keeps its own time, e.g. Redis TIME): retry shortly, never spin.
    return NOT_YET_RETRY_MS;
  }
}
