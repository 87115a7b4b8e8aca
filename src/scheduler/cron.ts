/**
 * The cron enqueuer: while this process holds the scheduler lease, it
 * turns due slots into jobs. Its duties:
 *  1. sleep until the next slot of any schedule (at most `maxSleepMs`, so a
 *     pause, a resume or a lost lease is noticed), never a fixed busy loop;
 *  2. per schedule, work out the due slots after its `lastSlot` (slots.ts):
 *     the latest missed one, or every one inside its catch-up window;
 *  3. enqueue each with the id `cron:<name>:<slotMs>`, so a second insert of
 *     a slot (a deposed leader, a crash between insert and record) is a
 *     no-op, then move `lastSlot` forward in the store;
 *  4. skip paused schedules, and with overlap `skip` the slots that come
 *     while the previous run is still waiting, delayed or active.
 * The schedules come from the registry (job modules and config, checked
 * when it loads); listing them is the operations layer's, not this loop's.
 */

import type { Clock } from "../core/clock.ts";
import { toError } from "../core/errors.ts";
import { cronSlotId } from "../core/ids.ts";
import type { Logger } from "../core/logger.ts";
import { LIVE_STATES, type ScheduleState } from "../core/types.ts";
import { buildNewJob } from "../registry/enqueue-request.ts";
import type { Registry } from "../registry/registry.ts";
import type { Store } from "../store/store.ts";
import { LoopService } from "./loop-service.ts";
import type { Schedule } from "../registry/schedules.ts";
import { planSlots } from "../cron/slots.ts";

export type SkipReason =
  /** The schedule is paused. */
  | "paused"
  /** Overlap `skip` and the previous run is still waiting, delayed or active. */
  | "overlap"
  /** The slot's job already exists (another leader, or an earlier try, inserted it). */
  | "exists"
  /** The job's unique key matched a live job; `id` is that job. */
  | "unique";

export interface CronEvents extends Record<string, unknown> {
  "cron:enqueued": { schedule: string; slot: number; id: string };
  "cron:skipped": { schedule: string; slot: number; reason: SkipReason; id?: string };
  /** One pass over the schedules ended; `next` is the earliest upcoming slot. */
  "cron:round": { at: number; next?: number };
  "scheduler:error": { service: string; error: Error };
}

export interface CronServiceOptions {
  store: Store;
  /** Its `schedules` are what this service runs. */
  registry: Registry;
  clock: Clock;
  log: Logger;
  /** Checked before every insert: a process that lost the lease stops at once. */
  isLeader(): boolean;
  /** Longest sleep between passes. Default 1 s. */
  maxSleepMs?: number;
}

const DEFAULT_MAX_SLEEP_MS = 1_000;
const RETRY_AFTER_ERROR_MS = 1_000;

export class CronService extends LoopService<CronEvents> {
  private schedules: readonly Schedule[];
  private registry: Registry;
  /** Per schedule, where slots start when the store has no lastSlot: "now" at construction, so no past slot runs on first start. */
  private readonly anchors = new Map<string, number>();
  /**
   * Per schedule, the next slot as last computed and the `after` it was computed from: while
   * neither changed and that slot is not due, a pass skips the schedule (cron-parser costs
   * ~0.1-1 ms per call, and passes run every second).
   */
  private readonly upcoming = new Map<string, { after: number; next?: number }>();
  private readonly maxSleepMs: number;

  constructor(private readonly opts: CronServiceOptions) {
    super({ service: "cron", failure: "cron pass", log: opts.log, retryAfterMs: RETRY_AFTER_ERROR_MS });
    this.registry = opts.registry;
    this.schedules = opts.registry.schedules;
    this.maxSleepMs = opts.maxSleepMs ?? DEFAULT_MAX_SLEEP_MS;
    const now = opts.clock.now();
    for (const s of this.schedules) this.anchors.set(s.name, now);
  }


  /** After a reload: new and changed schedules take effect from the next pass; a new one starts from now (no past slot is owed). */
  useRegistry(registry: Registry): void {
    const now = this.opts.clock.now();
    for (const s of registry.schedules) if (!this.anchors.has(s.name)) this.anchors.set(s.name, now);
    this.registry = registry;
    this.schedules = registry.schedules;
    this.upcoming.clear();
    this.wake();
  }

  /** One pass over every schedule; resolves to the earliest upcoming slot. Public for tests. */
  async runDue(): Promise<number | undefined> {
    if (!this.opts.isLeader()) return undefined;
    const states = await this.states();
    const now = this.opts.clock.now();
    let soonest: number | undefined;
    for (const schedule of this.schedules) {
      if (!schedule.enabled) continue;
      const state = states.get(schedule.name);
      const after = this.after(schedule, state);
      try {
        const known = this.upcoming.get(schedule.name);
        let next: number | undefined;
        if (known && known.after === after && (known.next === undefined || now < known.next)) {
          next = known.next;
        } else {
          const plan = this.plan(schedule, state, now, schedule.catchUpMs);
          if (plan.due.length) await this.runSlots(schedule, state, plan.due);
          // Remembered only once the due slots are handled (a throw leaves them due): the store's lastSlot is now the
          // latest of them, unless another leader moved it further, and then the next pass plans afresh.
          this.upcoming.set(schedule.name, { after: plan.due.at(-1) ?? after, next: plan.next });
          next = plan.next;
        }
        if (next !== undefined && (soonest === undefined || next < soonest)) soonest = next;
      } catch (err) {
        // One schedule's failure (store hiccup, a unique.key that throws) must not hold up the others.
        const error = toError(err);
        this.opts.log.warn("cron schedule failed", { schedule: schedule.name, error: error.message });
        this.events.emit("scheduler:error", { service: "cron", error });
      }
    }
    this.events.emit("cron:round", { at: now, next: soonest });
    return soonest;
  }

  protected async round(): Promise<number> {
    const next = await this.runDue();
    if (next === undefined) return this.maxSleepMs;
    return Math.min(this.maxSleepMs, Math.max(0, next - this.opts.clock.now()));
  }

  private async states(): Promise<Map<string, ScheduleState>> {
    return new Map((await this.opts.store.scheduleStates()).map((s) => [s.name, s]));
  }

  private after(s: Schedule, state: ScheduleState | undefined): number {
    return state?.lastSlot ?? this.anchors.get(s.name)!;
  }

  private plan(s: Schedule, state: ScheduleState | undefined, now: number, catchUpMs: number) {
    return planSlots({
      spec: { expression: s.cron, timezone: s.timezone },
      after: this.after(s, state),
      afterIsSlot: state?.lastSlot !== undefined,
      now,
      catchUpMs,
    });
  }

  /** Events go out after the store writes, so a listener that reads the store sees what the event says. */
  private async runSlots(s: Schedule, state: ScheduleState | undefined, due: number[]): Promise<void> {
    const { store } = this.opts;
    const latest = due[due.length - 1];
    const skipAll = (reason: SkipReason, id?: string) => {
      for (const slot of due) this.events.emit("cron:skipped", id === undefined ? { schedule: s.name, slot, reason } : { schedule: s.name, slot, reason, id });
    };

    if (state?.paused) {
      // Move past the skipped slots, so a resume does not run the latest slot missed while paused.
      if (state.lastJobId) await store.scheduleRecordSlot(s.name, latest, state.lastJobId);
      else this.anchors.set(s.name, latest);
      skipAll("paused");
      return;
    }

    // Overlap is judged once per pass against the run before it: catch-up slots of one pass all go in.
    if (s.overlap === "skip" && state?.lastJobId) {
      const previous = await store.getJob(state.lastJobId);
      if (previous && LIVE_STATES.includes(previous.state)) {
        await store.scheduleRecordSlot(s.name, latest, previous.id);
        this.opts.log.debug("cron slot skipped: previous run still pending", { schedule: s.name, slot: latest, previous: previous.id });
        skipAll("overlap", previous.id);
        return;
      }
    }

    for (const slot of due) {
      // Lost the lease mid-pass: the new leader takes it from here (same ids, so no harm either way).
      if (!this.opts.isLeader()) return;
      const id = cronSlotId(s.name, slot);
      const now = this.opts.clock.now();
      const job = { ...buildNewJob(this.registry, { name: s.job.name, data: s.payload }, now), id };
      const [result] = await store.enqueue({ jobs: [job], now });
      await store.scheduleRecordSlot(s.name, slot, result.id);
      if (result.deduplicated) {
        this.events.emit("cron:skipped", { schedule: s.name, slot, reason: result.id === id ? "exists" : "unique", id: result.id });
      } else {
        this.opts.log.debug("cron slot enqueued", { schedule: s.name, slot, id });
        this.events.emit("cron:enqueued", { schedule: s.name, slot, id });
      }
    }
  }
}
