/**
 * Keeps the leases of this worker's jobs alive: every lease/3 it renews all
 * of them in one store call, running jobs and those whose outcome is still
 * unwritten alike. A job whose lease the store no longer grants (cancelled
 * by a user, or rescued after this worker looked dead) is reported so the
 * pool aborts it and drops its result.
 */

import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import { Loop } from "../core/loop.ts";
import type { Service } from "../core/service.ts";
import type { LeaseRef, Store } from "../store/store.ts";

export interface LeaseKeeperOptions {
  store: Store;
  clock: Clock;
  workerId: string;
  leaseMs: number;
  log: Logger;
  /** The jobs this worker holds right now. */
  held(): LeaseRef[];
  /** Called with ids whose lease is gone. */
  onLost(ids: string[]): void;
}

export class LeaseKeeper implements Service {
  private readonly loop: Loop;

  constructor(private readonly opts: LeaseKeeperOptions) {
    const every = Math.max(50, Math.floor(opts.leaseMs / 3));
    this.loop = new Loop({
      name: "lease-keeper",
      round: async () => {
        await this.renew();
        return every;
      },
      // The store may be briefly down; the next round retries well before the lease (3 rounds) runs out.
      onError: (err, failures) => {
        if (failures === 1) opts.log.warn("lease renewal failed; retrying", { error: err.message });
        return Math.min(every, 1_000);
      },
    });
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async renew(): Promise<void> {
    const jobs = this.opts.held();
    if (jobs.length === 0) return;
    const lost = await this.opts.store.extendLeases({ workerId: this.opts.workerId, jobs, leaseMs: this.opts.leaseMs, now: this.opts.clock.now() });
    if (lost.length) this.opts.onLost(lost);
  }
}
