/**
 * WAL checkpoints off the event loop. SQLite checkpoints in the connection
 * whose commit pushes the WAL past 1,000 pages, synchronously: the copy and
 * its two fsyncs (tens of ms on a slow disk) froze a busy worker's event
 * loop a few times a second, which was most of its enqueue→start p99 under
 * load (bench/xproc-load.ts: 27-30 ms; 14 ms without them). A worker's
 * store hands checkpoints to a thread with its own connection
 * (checkpoint-thread.ts) and turns its own auto-checkpoint off; if the
 * thread cannot start or ends, the connection checkpoints itself again.
 *
 * Other processes on the file (the CLI, another worker without it) keep
 * SQLite's automatic checkpoints; two checkpointers on one WAL are safe.
 */

import type { Database } from "bun:sqlite";
import { threadEntry } from "../../core/entrypoints.ts";
import type { CheckpointData } from "./checkpoint-thread.ts";

/** How often the thread looks for new commits. */
const CHECK_EVERY_MS = 250;
/** SQLite's default, restored when the thread is gone. */
const AUTO_CHECKPOINT_PAGES = 1_000;

export class BackgroundCheckpointer {
  private worker: Worker | undefined;
  private closed: Promise<void> | undefined;

  constructor(
    private readonly db: Database,
    path: string,
  ) {
    try {
      const data: CheckpointData = { role: "checkpoint", path, everyMs: CHECK_EVERY_MS };
      const worker = new Worker(threadEntry(), { workerData: data } as WorkerOptions);
      (worker as { unref?: () => void }).unref?.();
      this.closed = new Promise<void>((resolve) =>
        worker.addEventListener("close", () => {
          this.worker = undefined;
          this.restore();
          resolve();
        }),
      );
      this.worker = worker;
      db.run("PRAGMA wal_autocheckpoint = 0");
    } catch {
      this.restore();
    }
  }

  /** Whether checkpoints run in the thread right now. */
  get active(): boolean {
    return this.worker !== undefined;
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    worker.postMessage("stop");
    await Promise.race([this.closed, new Promise((r) => setTimeout(r, 2_000))]);
    if (this.worker) worker.terminate();
    await this.closed;
  }

  private restore(): void {
    try {
      this.db.run(`PRAGMA wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
    } catch {
      // The connection is closed: nothing to restore.
    }
  }
}
