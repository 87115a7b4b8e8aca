/**
 * Keeps the leases of running jobs alive: every lease/3 it renews all of
 * them in one store call. A job whose lease the store no longer grants
 * (cancelled by a user, or rescued after this worker looked dead) is
 * aborted at once so its work stops and its result is dropped.
 */

import type { Logger } from "../core/logger.ts";
import type { Service } from "../core/service.ts";
import { abortableSleep } from "../core/service.ts";
import type { LeaseRef, Store } from "../store/store.ts";

export interface LeaseKeeperOptions {
  store: Store;
  workerId: string;
  leaseMs: number;
  log: Logger;
  /** The jobs this worker holds right now. */
  held(): LeaseRef[];
  /** Called with ids whose lease is gone. */
  onLost(ids: string[]): void;
}

export class LeaseKeeper implements Service {
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(private readonly opts: LeaseKeeperOptions) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  /** One renewal round; public so the pool can renew right before a long flush. */
  async renew(): Promise<void> {
    const jobs = this.opts.held();
    if (jobs.length === 0) return;
    const lost = await this.opts.store.extendLeases({ workerId: this.opts.workerId, jobs, leaseMs: this.opts.leaseMs });
    if (lost.length) this.opts.onLost(lost);
  }

  private async run(): Promise<void> {
    const every = Math.max(50, Math.floor(this.opts.leaseMs / 3));
    while (!this.stopping.signal.aborted) {
      await abortableSleep(every, this.stopping.signal);
      if (this.stopping.signal.aborted) break;
      try {
        await this.renew();
      } catch (err) {
        // The store may be briefly down; the next round retries well before the lease (3 rounds) runs out.
        this.opts.log.warn("lease renewal failed", { error: (err as Error).message });
      }
    }
  }
}
