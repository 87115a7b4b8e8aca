/**
 * The memory store's read-side queries as pure functions over its records:
 * paging, and choosing what retention removes (counts are kept as jobs
 * move: tally.ts). Kept apart so the store file is about state changes.
 */

import type { JobRecord } from "../../core/types.ts";
import { comparePageKey, decodeCursor, encodeCursor } from "../cursor.ts";
import type { JobPage, ListJobsParams, RetentionPolicy } from "../store.ts";

export function pageOf(records: Iterable<JobRecord>, p: ListJobsParams, copy: (r: JobRecord) => JobRecord): JobPage {
  const after = p.cursor ? decodeCursor(p.cursor) : undefined;
  const matches = [...records]
    .filter(
      (r) =>
        (!p.state || r.state === p.state) &&
        (!p.queue || r.queue === p.queue) &&
        (!p.name || r.name === p.name) &&
        (!after || comparePageKey({ createdAt: r.createdAt, id: r.id }, after) > 0),
    )
    .sort((a, b) => comparePageKey({ createdAt: a.createdAt, id: a.id }, { createdAt: b.createdAt, id: b.id }));
  const page = matches.slice(0, p.limit);
  const last = page[page.length - 1];
  return {
    jobs: page.map(copy),
    nextCursor: matches.length > p.limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : undefined,
  };
}

/**
 * Ids of finished jobs past the policy: too old, or beyond the newest
 * `maxCount` per queue and state. Cancelled jobs follow the failed limits.
 */
export function expiredIds(records: Iterable<JobRecord>, policy: RetentionPolicy, now: number): string[] {
  const finished = new Map<string, JobRecord[]>();
  for (const rec of records) {
    if (rec.state !== "completed" && rec.state !== "failed" && rec.state !== "cancelled") continue;
    const key = `${rec.queue}\u0000${rec.state}`;
    let list = finished.get(key);
    if (!list) finished.set(key, (list = []));
    list.push(rec);
  }
  const out: string[] = [];
  for (const list of finished.values()) {
    const completed = list[0].state === "completed";
    const maxAge = completed ? policy.completedMaxAgeMs : policy.failedMaxAgeMs;
    const maxCount = completed ? policy.completedMaxCount : policy.failedMaxCount;
    // Newest first; of two finished in the same ms the one stored later is kept, as SQLite's rowid order does.
    list.reverse().sort((a, b) => (b.finishedAt ?? 0) - (a.finishedAt ?? 0));
    list.forEach((rec, i) => {
      if (i >= maxCount || now - (rec.finishedAt ?? 0) > maxAge) out.push(rec.id);
    });
  }
  return out;
}
