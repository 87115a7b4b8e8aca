/**
 * One listJobs page from the slots of a deployment. Each slot walks its own
 * listing index (list-jobs.lua) from the cursor down and returns up to a
 * page of matches, plus where it stopped when it has more (a full page, or
 * its scan budget ran out). With one slot that is the page. With several
 * (queue tags), the pages are merged newest first, and only down to the
 * highest point where some slot stopped early: below it that slot may still
 * have jobs to interleave, so the rest waits for the next page.
 */

import type { JobRecord } from "../../core/types.ts";
import { comparePageKey, encodeCursor, type PageKey } from "../cursor.ts";
import type { JobPage } from "../store.ts";

export interface SlotPage {
  jobs: JobRecord[];
  /** The key to continue after, when this slot has more. */
  next?: PageKey;
}

const keyOf = (j: JobRecord): PageKey => ({ createdAt: j.createdAt, id: j.id });

export function mergePages(pages: SlotPage[], limit: number): JobPage {
  if (pages.length === 1) {
    const [p] = pages;
    return { jobs: p.jobs, nextCursor: p.next && encodeCursor(p.next) };
  }
  // The highest stop among slots that have more: everything at or above it is complete.
  let bound: PageKey | undefined;
  for (const p of pages) if (p.next && (!bound || comparePageKey(p.next, bound) < 0)) bound = p.next;
  const merged = pages
    .flatMap((p) => p.jobs)
    .filter((j) => !bound || comparePageKey(keyOf(j), bound) <= 0)
    .sort((a, b) => comparePageKey(keyOf(a), keyOf(b)));
  if (merged.length > limit) return { jobs: merged.slice(0, limit), nextCursor: encodeCursor(keyOf(merged[limit - 1])) };
  return { jobs: merged, nextCursor: bound && encodeCursor(bound) };
}
