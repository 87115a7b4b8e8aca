/**
 * Announces this process to the fleet (`qworker status`, GET /api/workers):
 * id, host, pid, role, queues and the jobs it is running, refreshed every
 * few seconds with a TTL so a killed process drops off on its own.
 */

import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import type { Service } from "../core/service.ts";
import { abortableSleep } from "../core/service.ts";
import type { WorkerInfo } from "../core/types.ts";
import type { Store } from "../store/store.ts";

export const HEARTBEAT_EVERY_MS = 5_000;

export class Heartbeat implements Service {
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly describe: () => Omit<WorkerInfo, "heartbeatAt">,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    if (this.stopping.signal.aborted) return this.loop;
    this.stopping.abort();
    await this.loop;
    await this.store.workerRemove(this.describe().id).catch(() => {});
  }

  private async run(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      try {
        await this.store.workerHeartbeat({ ...this.describe(), heartbeatAt: this.clock.now() }, HEARTBEAT_EVERY_MS * 3);
      } catch (err) {
        this.log.debug("heartbeat failed", { error: (err as Error).message });
      }
      await abortableSleep(HEARTBEAT_EVERY_MS, this.stopping.signal);
    }
  }
}
