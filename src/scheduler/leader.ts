/**
 * Leader election over the store, so any number of scheduler processes can
 * run and exactly one enqueues cron slots, promotes and rescues. The lease
 * has a TTL and a fencing token that grows with every new holder.
 *
 * Being leader is judged locally with the monotonic clock: the lease counts
 * from the moment the acquire call was sent, so if renewals fail or hang
 * (store down, event loop blocked) this process stops calling itself leader
 * no later than the store lets another take over. On stop it releases the
 * lease so a standby takes over at its next try instead of after the TTL.
 */

import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import { TypedEmitter, type Service } from "../core/service.ts";
import type { Store } from "../store/store.ts";
import { Loop } from "../core/loop.ts";

export interface LeaderEvents extends Record<string, unknown> {
  "leader:elected": { holder: string; token: number };
  "leader:lost": { holder: string; token: number; reason: string };
  /** After every attempt to acquire or renew (tests wait on it). */
  "leader:checked": { holder: string; leader: boolean; token?: number };
  "scheduler:error": { service: string; error: Error };
}

export interface LeaderElectorOptions {
  store: Store;
  clock: Clock;
  log: Logger;
  /** Which lease; the scheduler's is "scheduler". */
  name: string;
  /** This process, as shown in `qworker status` (e.g. host-pid). */
  holder: string;
  /** Lease TTL; default 30 s. */
  ttlMs?: number;
  /** How often to renew (leader) or try (standby); default 10 s. */
  renewMs?: number;
}

export const DEFAULT_LEADER_TTL_MS = 30_000;
export const DEFAULT_LEADER_RENEW_MS = 10_000;

export class LeaderElector implements Service {
  readonly events = new TypedEmitter<LeaderEvents>();
  readonly holder: string;
  private readonly ttlMs: number;
  private readonly renewMs: number;
  private readonly loop: Loop;
  private heldToken: number | undefined;
  /** `clock.mono()` after which this process no longer counts as leader unless a renewal succeeded. */
  private localUntil = 0;

  constructor(private readonly opts: LeaderElectorOptions) {
    this.holder = opts.holder;
    this.ttlMs = opts.ttlMs ?? DEFAULT_LEADER_TTL_MS;
    this.renewMs = Math.min(opts.renewMs ?? DEFAULT_LEADER_RENEW_MS, this.ttlMs);
    this.loop = new Loop({
      name: "leader",
      round: () => this.attempt(),
      onError: () => this.renewMs,
    });
  }

  /** True only while a lease this process acquired is still within its TTL by the monotonic clock. */
  isLeader(): boolean {
    return this.heldToken !== undefined && this.opts.clock.mono() < this.localUntil;
  }

  /** The fencing token of the lease held, if leader. */
  get token(): number | undefined {
    return this.isLeader() ? this.heldToken : undefined;
  }

  start(): void {
    this.loop.start();
  }

  /** Stops trying and releases the lease if held, so another process takes over at its next try. */
  async stop(): Promise<void> {
    await this.loop.stop();
    const token = this.heldToken;
    if (token === undefined) return;
    try {
      await this.opts.store.leaderRelease({ name: this.opts.name, holder: this.holder });
    } catch (err) {
      // Not fatal: the lease simply runs out after its TTL.
      this.opts.log.warn("could not release the scheduler lease; another scheduler takes over after its TTL", { error: (err as Error).message });
    }
    this.lose("stopped");
  }

  /** Try (or renew) now instead of at the next interval. */
  wake(): void {
    this.loop.wake();
  }

  /** One acquire-or-renew; resolves to how long to wait before the next. */
  private async attempt(): Promise<number> {
    const { store, clock, log } = this.opts;
    const sentAt = clock.mono();
    let info;
    try {
      info = await store.leaderAcquire({ name: this.opts.name, holder: this.holder, ttlMs: this.ttlMs, now: clock.now() });
    } catch (err) {
      const error = err as Error;
      log.warn("scheduler lease renewal failed", { error: error.message, leader: this.isLeader() });
      this.events.emit("scheduler:error", { service: "leader", error });
      if (this.heldToken !== undefined && !this.isLeader()) this.lose("renewal failed and the lease ran out");
      this.events.emit("leader:checked", { holder: this.holder, leader: this.isLeader(), token: this.token });
      // Leader: try again soon, but wake at the local expiry at the latest to step down on time.
      return this.heldToken === undefined ? this.renewMs : Math.min(this.renewMs, Math.max(0, this.localUntil - clock.mono()));
    }

    if (!info) {
      if (this.heldToken !== undefined) this.lose("another scheduler holds the lease");
    } else {
      if (this.heldToken !== undefined && (info.token !== this.heldToken || clock.mono() >= this.localUntil)) {
        // The lease lapsed in between (a new token), or our own view says it ran out: step down before stepping up again.
        this.lose("the lease lapsed before it was renewed");
      }
      this.localUntil = sentAt + this.ttlMs;
      if (this.heldToken === undefined) {
        this.heldToken = info.token;
        log.info("elected scheduler leader", { token: info.token });
        this.events.emit("leader:elected", { holder: this.holder, token: info.token });
      }
    }
    this.events.emit("leader:checked", { holder: this.holder, leader: this.isLeader(), token: this.token });
    return this.renewMs;
  }

  private lose(reason: string): void {
    const token = this.heldToken;
    if (token === undefined) return;
    this.heldToken = undefined;
    this.localUntil = 0;
    this.opts.log.info("no longer scheduler leader", { token, reason });
    this.events.emit("leader:lost", { holder: this.holder, token, reason });
  }
}
