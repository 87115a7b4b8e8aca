/**
 * The thread side of background checkpoints (checkpointer.ts): its own
 * connection to the file, and every CHECK_EVERY_MS a look at whether any
 * connection committed since the last look (`PRAGMA data_version`, no
 * table read); if so, a PASSIVE checkpoint copies the WAL's frames into the
 * database file and syncs it. PASSIVE never waits for a lock and never
 * blocks a writer or a reader; frames a reader still needs are copied next
 * time. Idle, this is one pragma call four times a second.
 */

import { Database } from "bun:sqlite";

export interface CheckpointData {
  role: "checkpoint";
  path: string;
  everyMs: number;
}

export function runCheckpointer(data: CheckpointData, onStop: (fn: () => void) => void): void {
  let db: Database | undefined;
  try {
    db = new Database(data.path, { readwrite: true });
    // The same durability as the store's own connection: the checkpoint syncs the WAL, then the file.
    db.run("PRAGMA synchronous = NORMAL");
    db.run("PRAGMA busy_timeout = 0");
  } catch {
    // The main thread sees the thread end and goes back to checkpointing itself.
    process.exit(1);
  }
  const version = db.query<{ data_version: number }, []>("PRAGMA data_version");
  const checkpoint = db.query("PRAGMA wal_checkpoint(PASSIVE)");
  let seen = -1;
  const timer = setInterval(() => {
    try {
      const v = version.get()!.data_version;
      if (v === seen) return;
      seen = v;
      checkpoint.get();
    } catch {
      // Busy or locked for a moment: the next look tries again.
    }
  }, data.everyMs);
  onStop(() => {
    clearInterval(timer);
    db?.close(false);
  });
}
