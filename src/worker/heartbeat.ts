/**
 * Announces this process to the fleet (`qworker status`, GET /api/workers):
 * id, host, pid, role, queues, the job names it has loaded and the jobs it
 * is running, refreshed every `everyMs` (default 2 s). The record lapses
 * after three missed beats: the scheduler's rescuer then treats the worker
 * as dead and hands its jobs out again at once, without waiting for their
 * leases. A graceful stop removes the record.
 */

import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import { Loop } from "../core/loop.ts";
import type { Service } from "../core/service.ts";
import type { WorkerInfo } from "../core/types.ts";
import type { Store } from "../store/store.ts";

export const DEFAULT_HEARTBEAT_MS = 2_000;
/** Missed beats after which the record lapses and the worker counts as dead. */
export const BEATS_TO_DEATH = 3;

export class Heartbeat implements Service {
  private readonly loop: Loop;
  private stopped = false;
  private markFirst!: () => void;
  /** Resolves after the first beat was tried (written or not), so no job is claimed before the fleet can see who holds it. */
  readonly first = new Promise<void>((resolve) => (this.markFirst = resolve));

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly describe: () => Omit<WorkerInfo, "heartbeatAt">,
    everyMs = DEFAULT_HEARTBEAT_MS,
  ) {
    this.loop = new Loop({
      name: "heartbeat",
      round: async () => {
        try {
          const now = this.clock.now();
          await this.store.workerHeartbeat({ info: { ...this.describe(), heartbeatAt: now }, ttlMs: everyMs * BEATS_TO_DEATH, now });
        } finally {
          this.markFirst();
        }
        return everyMs;
      },
      onError: (err, failures) => {
        if (failures === 1) this.log.warn("heartbeat failed; the fleet may soon count this worker as dead", { error: err.message });
        return everyMs;
      },
    });
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.loop.stop();
    this.markFirst();
    await this.store.workerRemove(this.describe().id).catch(() => {});
  }
}
