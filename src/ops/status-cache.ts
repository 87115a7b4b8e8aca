/**
 * One status read shared by everything that polls: /metrics scrapes, the
 * dashboard's live feed and GET /api/status (its fallback polling). A read
 * younger than the caller's `maxAgeMs` is reused, concurrent callers share
 * one read in flight, and a slow store is asked less often: after a read
 * slower than SLOW_READ_MS, never sooner than SLOW_FACTOR times what it
 * took (counts scan the jobs table on SQLite: 0.65-2 s with 1,000,000
 * jobs, so at most one read per 13-40 s there). A fast store is read fresh
 * whenever the caller's `maxAgeMs` has passed.
 */

import type { Operations, StatusReport } from "./operations.ts";

const SLOW_FACTOR = 20;
const SLOW_READ_MS = 50;

export class StatusCache {
  private last: { at: number; report: StatusReport } | undefined;
  private inFlight: Promise<StatusReport> | undefined;
  private lastReadMs = 0;

  constructor(
    private readonly ops: Pick<Operations, "status">,
    private readonly mono: () => number = () => performance.now(),
  ) {}

  /** A status at most `maxAgeMs` old, or older while the store is slow (see above). */
  get(maxAgeMs: number): Promise<StatusReport> {
    const last = this.last;
    const backOff = this.lastReadMs >= SLOW_READ_MS ? this.lastReadMs * SLOW_FACTOR : 0;
    if (last && this.mono() - last.at < Math.max(maxAgeMs, backOff)) return Promise.resolve(last.report);
    this.inFlight ??= this.read().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /** The last read, however old, without reading. */
  peek(): StatusReport | undefined {
    return this.last?.report;
  }

  private async read(): Promise<StatusReport> {
    const started = this.mono();
    const report = await this.ops.status();
    const done = this.mono();
    this.lastReadMs = done - started;
    this.last = { at: done, report };
    return report;
  }
}
