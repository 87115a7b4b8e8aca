/**
 * The scheduler role of one process. Every `--role all|scheduler` process
 * runs one; the store's lease makes exactly one of them the leader. Duties:
 *  1. take part in the election (leader.ts), all the time;
 *  2. while leader, and only then, run the cron enqueuer, the delayed-job
 *     promoter, the lease rescuer and retention (started on
 *     `leader:elected`, stopped on `leader:lost`, one transition at a time);
 *  3. nothing else: listing, pausing and resuming schedules, and reading
 *     the leader, are use cases of the operations layer (src/ops/), which
 *     every role serves from the store.
 * Stopping stops the duties first and then releases the lease, so the next
 * leader never runs beside this one.
 */

import type { Config } from "../config/schema.ts";
import type { Clock } from "../core/clock.ts";
import { toError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import { TypedEmitter, type Service } from "../core/service.ts";
import { SCHEDULER_LEASE } from "../core/types.ts";
import type { Registry } from "../registry/registry.ts";
import type { Store } from "../store/store.ts";
import { CronService, type CronEvents } from "./cron.ts";
import { LeaderElector, type LeaderEvents } from "./leader.ts";
import { Promoter, type PromoterEvents } from "./promoter.ts";
import { Rescuer, type RescuerEvents } from "./rescuer.ts";
import { retentionPolicy, Retention, type RetentionEvents } from "./retention.ts";


export type SchedulerEvents = LeaderEvents &
  CronEvents &
  PromoterEvents &
  RescuerEvents &
  RetentionEvents & {
    /** The leader-only duties started (`active: true`) or stopped. */
    "scheduler:role": { active: boolean };
  };

export interface SchedulerParams {
  store: Store;
  /** Job modules; those with `cron` are schedules too. */
  registry: Registry;
  /** Uses `scheduler`, `schedules`, `retention` and `worker.maxStalls`. */
  config: Config;
  clock: Clock;
  log: Logger;
  /** This process in the election, e.g. `host-pid`; unique per process. */
  holderId: string;
}

type Duty = Service & { wake(): void };

export class Scheduler implements Service {
  readonly events = new TypedEmitter<SchedulerEvents>();
  readonly holderId: string;
  private readonly elector: LeaderElector;
  private readonly cron: CronService;
  private readonly duties: Duty[];
  private state: "idle" | "started" | "stopped" = "idle";
  private dutiesRunning = false;
  /** Start/stop of the duties, strictly one after another. */
  private transitions: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | undefined;

  constructor(private readonly p: SchedulerParams) {
    const { store, registry, config, clock, log } = p;
    this.holderId = p.holderId;
    this.elector = new LeaderElector({
      store,
      clock,
      log: log.child({ component: "leader" }),
      name: SCHEDULER_LEASE,
      holder: p.holderId,
      ttlMs: config.scheduler.leaderTtl,
      renewMs: config.scheduler.leaderRenew,
    });
    this.cron = new CronService({
      store,
      registry,
      clock,
      log: log.child({ component: "cron" }),
      isLeader: () => this.elector.isLeader(),
    });
    const promoter = new Promoter({ store, clock, log: log.child({ component: "promoter" }) });
    const rescuer = new Rescuer({
      store,
      clock,
      log: log.child({ component: "rescuer" }),
      intervalMs: config.scheduler.rescueInterval,
      maxStalls: config.worker.maxStalls,
    });
    const retention = new Retention({
      store,
      clock,
      log: log.child({ component: "retention" }),
      intervalMs: config.scheduler.retentionInterval,
      policy: retentionPolicy(config.retention),
    });
    this.duties = [this.cron, promoter, rescuer, retention];

    forward(this.elector.events, this.events, ["leader:elected", "leader:lost", "leader:checked", "scheduler:error"]);
    forward(this.cron.events, this.events, ["cron:enqueued", "cron:skipped", "cron:round", "scheduler:error"]);
    forward(promoter.events, this.events, ["promote:done", "promote:idle", "scheduler:error"]);
    forward(rescuer.events, this.events, ["rescue:done", "scheduler:error"]);
    forward(retention.events, this.events, ["retention:done", "scheduler:error"]);
    this.elector.events.on("leader:elected", () => this.transition(() => this.startDuties()));
    this.elector.events.on("leader:lost", () => this.transition(() => this.stopDuties()));
  }

  /** Joins the election; the duties start once elected. */
  start(): void {
    if (this.state !== "idle") return;
    this.state = "started";
    this.elector.start();
  }

  /** Stops the duties, then leaves the election releasing the lease. Safe to call twice and before start. */
  stop(): Promise<void> {
    this.state = "stopped";
    this.stopping ??= (async () => {
      await this.transition(() => this.stopDuties());
      await this.elector.stop();
      await this.transitions;
    })();
    return this.stopping;
  }

  /** Re-check everything now instead of after the current sleeps (tests moving a fake clock, or after a resume). */
  wake(): void {
    this.elector.wake();
    for (const duty of this.duties) duty.wake();
  }

  /** After a reload: the cron service runs the new catalogue from its next pass. */
  useRegistry(registry: Registry): void {
    this.cron.useRegistry(registry);
  }

  /** Whether this process holds the lease right now. */
  isLeader(): boolean {
    return this.elector.isLeader();
  }

  private transition(step: () => Promise<void>): Promise<void> {
    this.transitions = this.transitions.then(step).catch((err) => {
      const error = toError(err);
      this.p.log.error("scheduler role change failed", { error: error.message });
      this.events.emit("scheduler:error", { service: "scheduler", error });
    });
    return this.transitions;
  }

  private async startDuties(): Promise<void> {
    // The lease may already be gone again, or we are shutting down: a later transition would undo this anyway.
    if (this.dutiesRunning || this.state !== "started" || !this.elector.isLeader()) return;
    this.dutiesRunning = true;
    for (const duty of this.duties) duty.start();
    this.events.emit("scheduler:role", { active: true });
  }

  private async stopDuties(): Promise<void> {
    if (!this.dutiesRunning) return;
    this.dutiesRunning = false;
    await Promise.all(this.duties.map((d) => d.stop()));
    this.events.emit("scheduler:role", { active: false });
  }
}

function forward<E extends Record<string, unknown>, K extends keyof E & keyof SchedulerEvents>(
  from: TypedEmitter<E>,
  to: TypedEmitter<SchedulerEvents>,
  names: K[],
): void {
  for (const name of names) from.on(name, (payload) => to.emit(name, payload as SchedulerEvents[K]));
}
