/**
 * Retention on SQLite: which finished jobs one trim transaction deletes.
 * The counts (queue_counts) say how many completed, failed and cancelled
 * jobs each queue holds, so a queue over its count limit loses exactly its
 * oldest extra jobs, found through jobs_finished (queue, state,
 * finished_at): no window over every finished row, and nothing read for a
 * queue that is within its limits. Age is a range on the same index.
 */

import type { JobState } from "../../core/types.ts";
import type { RetentionPolicy } from "../store.ts";
import type { Tally } from "../tally.ts";
import type { Statements } from "./statements.ts";

const FINISHED: readonly JobState[] = ["completed", "failed", "cancelled"];

/** Deletes at most `limit` jobs past the policy; returns how many. Call inside a write transaction. */
export function trimIn(st: Statements, tally: Tally, policy: RetentionPolicy, now: number, limit: number): number {
  let removed = 0;
  for (const counts of st.counts.all()) {
    for (const state of FINISHED) {
      const held = counts[state];
      if (held <= 0) continue;
      const completed = state === "completed";
      const maxCount = completed ? policy.completedMaxCount : policy.failedMaxCount;
      const maxAgeMs = completed ? policy.completedMaxAgeMs : policy.failedMaxAgeMs;
      let gone = 0;
      // Beyond the newest maxCount: the oldest go first (of two finished in the same ms, the one stored first).
      const extra = Math.min(held - maxCount, limit - removed);
      if (extra > 0) gone += st.trimOldest.run(counts.queue, state, extra).changes;
      // Older than maxAge, among those left.
      if (removed + gone < limit && held - gone > 0) gone += st.trimBefore.run(counts.queue, state, now - maxAgeMs, limit - removed - gone).changes;
      if (gone > 0) tally.add(counts.queue, state, -gone);
      removed += gone;
      if (removed >= limit) return removed;
    }
  }
  return removed;
}
