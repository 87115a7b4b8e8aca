/**
 * `waitForWork` for PostgreSQL: idle workers sleep until a NOTIFY says a
 * queue they serve got work, with a capped poll as the correctness floor.
 *
 * 1. Wake-ups: one LISTEN connection per store instance, opened on the
 *    first wait (a CLI command never opens one). Every change that makes
 *    work ready NOTIFYs `<schema>_wake` with the queue's name (functions.ts,
 *    statements.ts); a notification wakes this instance's waiters for that
 *    queue. Changes made by this instance also wake its waiters directly,
 *    so a store with LISTEN off still wakes its own workers at once.
 * 2. The floor: NOTIFY is only a hint (sent while our listener was
 *    reconnecting, lost behind PgBouncer). A waiter re-checks the tables
 *    every MIN_POLL_MS at first, doubling up to MAX_POLL_MS while idle, and
 *    never sleeps past the earliest delayed job's due time.
 * 3. Recovery: pg's Client does not reconnect by itself, so the listener
 *    is a core Loop: one round = connect, LISTEN, wait until the connection
 *    ends; a failed round pauses 100 ms doubling to 2 s. Only an established
 *    client's end starts the next round (a failed connect also emits "end";
 *    reacting to that too would open two listeners). After every
 *    (re)connect all waiters are woken: they may have missed notifications.
 *
 * LISTEN needs a session of its own: behind PgBouncer in transaction mode,
 * point `listenUrl` at the server directly, or turn it off and rely on the
 * poll.
 */

import pg from "pg";
import type { Clock } from "../../core/clock.ts";
import { growingPause, Loop } from "../../core/loop.ts";
import { abortableSleep } from "../../core/service.ts";
import type { WaitForWorkParams } from "../store.ts";

export const MIN_POLL_MS = 50;
export const MAX_POLL_MS = 1_000;
/** After a failed check (database down), wait this long before returning, so a caller's loop cannot spin. */
const ERROR_PAUSE_MS = 500;
/** Between failed LISTEN connects: 100 ms, doubling to 2 s while the server stays away. */
const reconnectPause = growingPause(100, 2_000);

export type ReadyCheck = (queues: string[]) => Promise<{ ready: boolean; nextDueAt?: number }>;

interface Waiter {
  queues: Set<string>;
  woken: boolean;
  wake(): void;
}

export interface WakerOptions {
  /** Connection settings of the LISTEN session; undefined turns LISTEN off (poll only). */
  listen?: pg.ClientConfig;
  channel: string;
  clock: Clock;
  check: ReadyCheck;
}

export class PgWaker {
  private readonly waiters = new Set<Waiter>();
  private readonly listener?: Loop;
  private closed = false;
  /** True while a LISTEN session is up. */
  listening = false;

  constructor(private readonly opts: WakerOptions) {
    if (opts.listen) {
      const config = opts.listen;
      this.listener = new Loop({
        name: "postgres-listen",
        round: (signal) => this.listenOnce(config, signal),
        onError: (_err, failures) => reconnectPause(failures),
      });
    }
  }

  async wait(p: WaitForWorkParams): Promise<void> {
    if (p.signal.aborted || this.closed) return;
    this.listener?.start();
    const waiter: Waiter = { queues: new Set(p.queues), woken: false, wake: () => {} };
    // Registered before the first check, so a notification during the check is not lost.
    this.waiters.add(waiter);
    try {
      const deadline = performance.now() + Math.max(0, p.maxWaitMs);
      let pollMs = MIN_POLL_MS;
      for (;;) {
        let state: { ready: boolean; nextDueAt?: number };
        try {
          state = await this.opts.check(p.queues);
        } catch {
          return abortableSleep(Math.min(ERROR_PAUSE_MS, Math.max(0, deadline - performance.now())), p.signal);
        }
        if (state.ready || waiter.woken || this.closed || p.signal.aborted) return;
        // Due times are wall-clock (the injected clock); maxWaitMs is measured with a timer, so a
        // FakeClock that never moves cannot make a waiter hang.
        const untilDue = state.nextDueAt === undefined ? Number.POSITIVE_INFINITY : state.nextDueAt - this.opts.clock.now();
        const left = deadline - performance.now();
        if (untilDue <= 0 || left <= 0) return;
        const nap = Math.min(pollMs, untilDue, left);
        if (await this.sleep(waiter, nap, p.signal)) return;
        if (nap === untilDue) return;
        pollMs = Math.min(pollMs * 2, MAX_POLL_MS);
      }
    } finally {
      this.waiters.delete(waiter);
    }
  }

  /** Work appeared in these queues (this process changed them): wake their waiters here without a round trip. */
  wakeLocal(queues?: Iterable<string>): void {
    const set = queues ? new Set(queues) : undefined;
    for (const w of this.waiters) {
      if (!set || [...set].some((q) => w.queues.has(q))) {
        w.woken = true;
        w.wake();
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakeLocal();
    await this.listener?.stop();
  }

  /** Resolves true when woken (notification, close, abort), false when the nap ran out. */
  private sleep(waiter: Waiter, ms: number, signal: AbortSignal): Promise<boolean> {
    if (waiter.woken) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (woken: boolean) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        waiter.wake = () => {};
        resolve(woken);
      };
      const onAbort = () => done(true);
      const timer = setTimeout(() => done(false), ms);
      signal.addEventListener("abort", onAbort, { once: true });
      waiter.wake = () => done(true);
    });
  }

  /** One listener round: connect, LISTEN, then wait until the session ends or the store closes. */
  private async listenOnce(config: pg.ClientConfig, signal: AbortSignal): Promise<number> {
    const client = new pg.Client(config);
    // Without a handler an 'error' on this client would end the process; the 'end' that follows ends the round.
    client.on("error", () => {});
    const ended = new Promise<void>((resolve) => client.once("end", () => resolve()));
    try {
      await client.connect();
      await client.query(`LISTEN "${this.opts.channel}"`);
    } catch (err) {
      await client.end().catch(() => {});
      throw err;
    }
    client.on("notification", (m) => (m.payload ? this.wakeLocal([m.payload]) : this.wakeLocal()));
    this.listening = true;
    // Notifications sent while we were not listening are gone: let every waiter look again.
    this.wakeLocal();
    await Promise.race([ended, new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }))]);
    this.listening = false;
    await client.end().catch(() => {});
    return 100;
  }
}
