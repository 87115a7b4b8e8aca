/**
 * How an idle SQLite worker notices new work without busy-polling.
 *
 * 1. Same process: every SqliteStore on one file shares a `LocalWake`; an
 *    enqueue, release, promotion or resume wakes its waiters at once.
 * 2. Other processes: SQLite has no cross-process notification, but every
 *    commit appends to the WAL file, so a file-system watch on it (inotify
 *    on Linux, kqueue/FSEvents on macOS) wakes waiters within a millisecond
 *    or so of another process's commit, and costs nothing while nobody
 *    writes. A woken waiter asks `PRAGMA data_version` (no table read)
 *    whether another connection committed, and only then runs the "is
 *    there ready work?" query; our own commits also touch the WAL, but
 *    leave data_version alone, so they cost one pragma call.
 *    Waiters still poll the same way, as a safety net: every 5 ms at first
 *    (a busy fleet), doubling while idle up to 1 s with the watch (it only
 *    matters if an event is missed), or 100 ms where no watch could be set.
 * 3. Time: a waiter never sleeps past the earliest delayed job's due time,
 *    read from the injected clock, so a due retry starts on time.
 */

import { watch, type FSWatcher } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import type { Clock } from "../../core/clock.ts";
import { WorkSignal } from "../memory/work-signal.ts";
import type { WaitForWorkParams } from "../store.ts";

export const MIN_POLL_MS = 5;
/** The poll cap where no watch on the WAL could be set. */
export const MAX_POLL_MS = 100;
/** The poll cap while the WAL is watched: a net for a missed event, not the way work is found. */
export const WATCHED_MAX_POLL_MS = 1_000;

/** In-process wake-ups for one database file. `generation` lets a waiter tell a wake from a timeout. */
export class LocalWake {
  readonly signal = new WorkSignal();
  generation = 0;
  /** True while a watch on the WAL wakes waiters when another process commits. */
  watching = false;
  /** Counts nudges, so a waiter can tell one from its poll timer. */
  nudges = 0;

  wake(): void {
    this.generation++;
    this.signal.wakeAll();
  }

  /** Something changed the file, maybe another process: waiters look (data_version), they do not return at once. */
  nudge(): void {
    this.nudges++;
    this.signal.wakeAll();
  }
}

const shared = new Map<string, { wake: LocalWake; refs: number; watcher?: FSWatcher }>();
const keys = new WeakMap<LocalWake, string>();

/** The LocalWake every store of this process opened on `path` shares. Pair with `releaseLocalWake`. */
export function acquireLocalWake(path: string): LocalWake {
  const key = path === ":memory:" || path === "" ? `${path}#${Math.random()}` : resolve(path);
  let entry = shared.get(key);
  if (!entry) {
    shared.set(key, (entry = { wake: new LocalWake(), refs: 0 }));
    if (path !== ":memory:" && path !== "") entry.watcher = watchWal(key, entry.wake);
  }
  entry.refs++;
  keys.set(entry.wake, key);
  return entry.wake;
}

export function releaseLocalWake(wake: LocalWake): void {
  const key = keys.get(wake);
  const entry = key === undefined ? undefined : shared.get(key);
  if (!entry) return;
  if (--entry.refs <= 0) {
    shared.delete(key!);
    entry.watcher?.close();
    entry.wake.watching = false;
  }
}

/**
 * Watches the folder for changes to `<file>-wal` (the folder, not the file:
 * the WAL may not exist yet, and is recreated if every connection closes).
 * Undefined where the platform or file system offers no watch.
 */
function watchWal(dbPath: string, wake: LocalWake): FSWatcher | undefined {
  const wal = `${basename(dbPath)}-wal`;
  try {
    const watcher = watch(dirname(dbPath), { persistent: false }, (_event, file) => {
      if (file === null || file === wal) wake.nudge();
    });
    watcher.on("error", () => {
      wake.watching = false;
      watcher.close();
    });
    wake.watching = true;
    return watcher;
  } catch {
    return undefined;
  }
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
        const nudges = this.local.nudges;
        await this.local.signal.wait(Math.min(this.pollMs, untilDue), stop.signal);
        if (stop.signal.aborted || this.local.generation !== generation || !this.probe.isOpen()) return;
        const seen = this.probe.dataVersion();
        if (seen !== version) {
          version = seen;
          if (this.probe.hasReady(p.queues)) return this.busy();
          due = this.probe.nextDueAt();
        }
        // The WAL changed but the work does not show yet: a writer signals with its frames and
        // makes them visible a moment later (the wal-index, which no watch sees), and a writer that
        // restarts the WAL after a checkpoint changes data_version before its commit. Look again soon.
        if (this.local.nudges !== nudges) this.pollMs = 1;
        else this.pollMs = Math.min(this.pollMs * 2, this.local.watching ? WATCHED_MAX_POLL_MS : MAX_POLL_MS);
      }
    } finally {
      clearTimeout(timer);
      p.signal.removeEventListener("abort", onAbort);
    }
  }
}
