/**
 * Retention for the PostgreSQL store: deletes finished jobs past the policy
 * in batches of TRIM_BATCH rows, each batch its own statement and so its
 * own short transaction. A big backlog of old jobs never becomes one long
 * transaction that holds locks and an old snapshot (which would keep
 * vacuum from cleaning up behind the workers).
 *
 * Per queue and finished state (cancelled jobs follow the failed limits,
 * counted apart from failed ones): first everything older than maxAge,
 * then everything ranked after the newest maxCount (by finished_at; ties
 * keep the older id).
 */

import type { RetentionPolicy } from "../store.ts";
import type { Statements } from "./statements.ts";

/** Jobs one trim statement deletes at most: short transactions, short locks. */
export const TRIM_BATCH = 1_000;

interface Db {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>;
}

export async function trimJobs(st: Statements, policy: RetentionPolicy, now: number, db: Db): Promise<number> {
  let removed = 0;
  const queues = await db.query<{ queue: string }>(st.finishedQueues);
  for (const { queue } of queues) {
    for (const state of ["completed", "failed", "cancelled"] as const) {
      const [maxAge, maxCount] = state === "completed" ? [policy.completedMaxAgeMs, policy.completedMaxCount] : [policy.failedMaxAgeMs, policy.failedMaxCount];
      removed += await inBatches(() => deleted(db, st.trimByAge, [queue, state, now - maxAge, TRIM_BATCH]));
      const [cut] = await db.query<{ finished_at: number; id: string }>(st.trimCutoff, [queue, state, Math.max(0, maxCount)]);
      if (cut) removed += await inBatches(() => deleted(db, st.trimByCount, [queue, state, cut.finished_at, cut.id, TRIM_BATCH]));
    }
  }
  return removed;
}

/** A trim statement: it deletes, counts what it deleted in count_deltas, and answers how many. */
async function deleted(db: Db, text: string, values: unknown[]): Promise<number> {
  const [row] = await db.query<{ n: number }>(text, values);
  return row.n;
}

/** Runs a batch deletion until a batch comes back short. */
async function inBatches(batch: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await batch();
    total += n;
    if (n < TRIM_BATCH) return total;
  }
}
