/**
 * How an idle SQLite worker notices new work without busy-polling.
 *
 * 1. Same process: every SqliteStore on one file shares a `LocalWake`; an
 *    enqueue, release, promotion or resume wakes its waiters at once.
 * 2. Other processes: SQLite has no cross-process notification, so waiters
 *    poll, but cheaply: `PRAGMA data_version` (no table read) tells whether
 *    any other connection committed since the last look, and only then is
 *    the "is there ready work?" query run. The poll interval starts short
 *    (5 ms, so a busy fleet picks work up fast) and doubles while idle, up
 *    to a cap, so an idle fleet costs a few pragma calls per second.
 * 3. Time: a waiter never sleeps past the earliest delayed job's due time,
 *    read from the injected clock, so a due retry starts on time.
 */

import { resolve } from "node:path";
import type { Clock } from "../../core/clock.ts";
import { WorkSignal } from "../memory/work-signal.ts";
import type { WaitForWorkParams } from "../store.ts";

export const MIN_POLL_MS = 5;
export const MAX_POLL_MS = 100;

/** In-process wake-ups for one database file. `generation` lets a waiter tell a wake from a timeout. */
export class LocalWake {
  readonly signal = new WorkSignal();
  generation = 0;

  wake(): void {
    this.generation++;
    this.signal.wakeAll();
  }
}

const shared = new Map<string, { wake: LocalWake; refs: number }>();
const keys = new WeakMap<LocalWake, string>();

/** The LocalWake every store of this process opened on `path` shares. Pair with `releaseLocalWake`. */
export function acquireLocalWake(path: string): LocalWake {
  const key = path === ":memory:" || path === "" ? `${path}#${Math.random()}` : resolve(path);
  let entry = shared.get(key);
  if (!entry) shared.set(key, (entry = { wake: new LocalWake(), refs: 0 }));
  entry.refs++;
  keys.set(entry.wake, key);
  return entry.wake;
}

export function releaseLocalWake(wake: LocalWake): void {
  const key = keys.get(wake);
  const entry = key === undefined ? undefined : shared.get(key);
  if (!entry) return;
  if (--entry.refs <= 0) shared.delete(key!);
}

/** What the poller needs from the store; each call is one cheap, indexed read. */
export interface PollProbe {
  /** False once the store is closed: waiters return at once. */
  isOpen(): boolean;
  hasReady(queues: string[]): boolean;
  nextDueAt(): number | undefined;
  dataVersion(): number;
}

export class AdaptivePoller {
  /** Shared by the store's waiters: an idle store polls slowly, a busy one fast. */
  private pollMs = MIN_POLL_MS;

  constructor(
    private readonly probe: PollProbe,
    private readonly local: LocalWake,
    private readonly clock: Clock,
  ) {}

  /** Work was just seen (ready on entry, or reserved): poll fast again. */
  busy(): void {
    this.pollMs = MIN_POLL_MS;
  }

  async wait(p: WaitForWorkParams): Promise<void> {
    if (p.signal.aborted || !this.probe.isOpen()) return;
    const generation = this.local.generation;
    let version = this.probe.dataVersion();
    if (this.probe.hasReady(p.queues)) return this.busy();
    let due = this.probe.nextDueAt();

    // maxWaitMs is measured with a timer, not the injected clock: a FakeClock
    // that never moves must not make a waiter hang forever.
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), Math.max(0, p.maxWaitMs));
    const onAbort = () => stop.abort();
    p.signal.addEventListener("abort", onAbort, { once: true });
    try {
      for (;;) {
        if (stop.signal.aborted || this.local.generation !== generation || !this.probe.isOpen()) return;
        const untilDue = due === undefined ? Number.POSITIVE_INFINITY : due - this.clock.now();
        if (untilDue <= 0) return;
        await this.local.signal.wait(Math.min(this.pollMs, untilDue), stop.signal);
        if (stop.signal.aborted || this.local.generation !== generation || !this.probe.isOpen()) return;
        const seen = this.probe.dataVersion();
        if (seen !== version) {
          version = seen;
          if (this.probe.hasReady(p.queues)) return this.busy();
          due = this.probe.nextDueAt();
        }
        this.pollMs = Math.min(this.pollMs * 2, MAX_POLL_MS);
      }
    } finally {
      clearTimeout(timer);
      p.signal.removeEventListener("abort", onAbort);
    }
  }
}
