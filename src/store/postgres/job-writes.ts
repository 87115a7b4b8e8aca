/**
 * Keeps the writes about one job in order. Jobs report progress as they go
 * and the pool does not await those writes; over a pool of connections two
 * of them, or the last one and the job's outcome, could land out of order
 * (a job shown at 66% after it completed at 100%). So progress writes for a
 * job are chained, and an outcome for the job first waits for the chain,
 * as on the stores whose writes share one connection.
 */

export class JobWrites {
  private readonly pending = new Map<string, Promise<void>>();

  /** Runs `write` after the earlier writes for `id`; rejects if it fails (the chain goes on). */
  chain<T>(id: string, write: () => Promise<T>): Promise<T> {
    const run = (this.pending.get(id) ?? Promise.resolve()).then(write);
    const settled: Promise<void> = run.then(
      () => {},
      () => {},
    );
    this.pending.set(id, settled);
    void settled.then(() => {
      if (this.pending.get(id) === settled) this.pending.delete(id);
    });
    return run;
  }

  /** Resolves when no chained write for these jobs is in flight. */
  async settled(jobs: { id: string }[]): Promise<void> {
    if (this.pending.size === 0) return;
    const waits = jobs.map((j) => this.pending.get(j.id)).filter((w) => w !== undefined);
    if (waits.length) await Promise.all(waits);
  }
}
