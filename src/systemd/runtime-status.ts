/**
 * The STATUS= line `systemctl status qworker` shows, e.g. "12 active, 340
 * waiting, 5 delayed, 2 failed". The one place that reads a Runtime for
 * systemd: active is this process's pool when it has one (exact and free),
 * else the store's count (process mode, scheduler and api roles, which run
 * no jobs here); the rest is one counts() read, which the notifier makes at
 * most every 5 s.
 */

import type { Runtime } from "../app/runtime.ts";
import type { JobState } from "../core/types.ts";
import type { StatusSource } from "./notifier.ts";

export function runtimeStatus(runtime: Runtime): StatusSource {
  return async () => {
    try {
      const queues = await runtime.ops.queues();
      const total = (state: JobState) => queues.reduce((n, q) => n + q[state], 0);
      const active = runtime.pool?.activeCount ?? total("active");
      return `${active} active, ${total("waiting")} waiting, ${total("delayed")} delayed, ${total("failed")} failed`;
    } catch (err) {
      const active = runtime.pool ? `${runtime.pool.activeCount} active, ` : "";
      return `${active}store unreachable: ${err instanceof Error ? err.message : String(err)}`;
    }
  };
}
