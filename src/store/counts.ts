/**
 * Builds the `counts()` answer every store gives: one row per queue, every
 * state present (zero when empty), the named queues first in their order,
 * then any other queue that has jobs.
 */

import { JOB_STATES, type JobState, type QueueCounts } from "../core/types.ts";

export class CountsTable {
  private readonly byQueue = new Map<string, QueueCounts>();

  constructor(
    queues: string[],
    private readonly paused: ReadonlySet<string>,
  ) {
    for (const q of queues) this.row(q);
  }

  add(queue: string, state: JobState, n = 1): void {
    this.row(queue)[state] += n;
  }

  rows(): QueueCounts[] {
    return [...this.byQueue.values()];
  }

  private row(queue: string): QueueCounts {
    let c = this.byQueue.get(queue);
    if (!c) {
      c = { queue, paused: this.paused.has(queue) } as QueueCounts;
      for (const s of JOB_STATES) c[s] = 0;
      this.byQueue.set(queue, c);
    }
    return c;
  }
}
