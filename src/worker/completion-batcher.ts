/**
 * Completions are written in batches: every job that finishes in the same
 * tick goes to the store in one `complete` call (one transaction, one Lua
 * call). This is most of the drain throughput for short jobs.
 */

import type { CompleteParams, Store } from "../store/store.ts";

type Item = CompleteParams["jobs"][number];

export class CompletionBatcher {
  private pending: { item: Item; done: (err?: unknown) => void }[] = [];
  private flushing: Promise<void> | undefined;
  private scheduled = false;

  constructor(
    private readonly store: Store,
    private readonly workerId: string,
    private readonly maxBatch = 500,
  ) {}

  /** Resolves once the completion is stored. */
  add(item: Item): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, done: (err) => (err ? reject(err) : resolve()) });
      this.schedule();
    });
  }

  /** Writes everything pending; used at shutdown. */
  async flush(): Promise<void> {
    while (this.pending.length || this.flushing) {
      if (this.flushing) await this.flushing;
      else await this.write();
    }
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.write();
    });
  }

  private write(): Promise<void> {
    if (this.flushing || this.pending.length === 0) return this.flushing ?? Promise.resolve();
    const batch = this.pending.splice(0, this.maxBatch);
    this.flushing = this.store
      .complete({ workerId: this.workerId, jobs: batch.map((b) => b.item) })
      .then(
        () => batch.forEach((b) => b.done()),
        (err) => batch.forEach((b) => b.done(err)),
      )
      .finally(() => {
        this.flushing = undefined;
        if (this.pending.length) this.schedule();
      });
    return this.flushing;
  }
}
