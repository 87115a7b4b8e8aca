/**
 * The STATUS= line `systemctl status qworker` shows, e.g. "12 active, 340
 * waiting, 5 delayed, 2 failed". The one place that reads a Runtime for
 * systemd. Active is this process's pool when it has one (exact and free,
 * so fresh on every refresh), else the store's count (process mode,
 * scheduler and api roles, which run no jobs here).
 *
 * The other counts cost a store read, and on SQLite that read is a scan of
 * the jobs table on the event loop: 270-400 ms with 500,000 jobs. The
 * notifier asks every 5 s; a read that took long waits 100 times as long
 * before the next (a 300 ms read waits 30 s), keeping the status under 1%
 * of the loop however large the backlog.
 */

import type { Runtime } from "../app/runtime.ts";
import type { JobState, QueueCounts } from "../core/types.ts";
import type { StatusSource } from "./notifier.ts";

/** A read may take at most 1/SLOWDOWN of the time between reads. */
const SLOWDOWN = 100;

export function runtimeStatus(runtime: Runtime): StatusSource {
  const clock = runtime.options.clock;
  let counts: QueueCounts[] | undefined;
  let error: string | undefined;
  let nextReadAt = -Infinity;

  return async () => {
    if (clock.mono() >= nextReadAt) {
      const started = clock.mono();
      try {
        counts = await runtime.ops.queues();
        error = undefined;
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
      }
      nextReadAt = started + (clock.mono() - started) * SLOWDOWN;
    }
    const total = (state: JobState) => (counts ?? []).reduce((n, q) => n + q[state], 0);
    const active = runtime.pool?.activeCount;
    if (error) return `${active === undefined ? "" : `${active} active, `}store unreachable: ${error}`;
    return `${active ?? total("active")} active, ${total("waiting")} waiting, ${total("delayed")} delayed, ${total("failed")} failed`;
  };
}
