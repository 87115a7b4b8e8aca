/**
 * Deduplication across queue tags. A job's explicit id and its unique key
 * are checked atomically by the enqueue script of its own slot; with queue
 * tags, the same id or key may also live in another slot (the same job name
 * enqueued into queues of different tags). Before the scripts run, this
 * looks there, and also pairs up jobs of one batch that land in different
 * slots. That part is a check, not a transaction: two enqueues racing on
 * one key from different tags can both store a job. Within one tag (and
 * without tags) deduplication stays atomic.
 */

import type { EnqueueResult, NewJob } from "../../core/types.ts";
import type { Layout, Slot } from "./layout.ts";
import type { Client } from "./scripts.ts";

const LIVE = new Set(["waiting", "delayed", "active"]);

/** A job resolved before its slot's script: onto an existing job, or onto an earlier job of the batch (its position). */
export type Resolved = { result: EnqueueResult } | { sameAs: number };

const uniqueKeyOf = (slot: Slot, name: string, key: string) => `${slot.keys.base}u:${Buffer.byteLength(name)}:${name}:${key}`;

export async function dedupeAcrossSlots(client: Client, layout: Layout, jobs: NewJob[], now: number): Promise<Map<number, Resolved>> {
  const resolved = new Map<number, Resolved>();
  const firstById = new Map<string, number>();
  const firstByKey = new Map<string, number>();
  for (const [pos, job] of jobs.entries()) {
    if (job.id === undefined && job.uniqueKey === undefined) continue;
    const mine = layout.slotOfQueue(job.queue);
    const other = (earlier: number | undefined) => earlier !== undefined && layout.slotOfQueue(jobs[earlier].queue) !== mine;
    const ref = job.uniqueKey === undefined ? undefined : `${job.name}\u0000${job.uniqueKey}`;
    // As in every store: an existing id wins over a unique key, and later jobs of the batch see earlier ones.
    if (job.id !== undefined) {
      const earlier = firstById.get(job.id);
      if (earlier === undefined) firstById.set(job.id, pos);
      if (other(earlier)) {
        resolved.set(pos, { sameAs: earlier! });
        continue;
      }
      // In the job's own slot its script sees the id.
      const found = await Promise.all(layout.slots.map((s) => client.exists(s.keys.job(job.id!))));
      if (found.some((n, i) => n > 0 && layout.slots[i] !== mine)) resolved.set(pos, { result: { id: job.id, deduplicated: true } });
      if (earlier !== undefined || found.some((n) => n > 0)) continue;
    }
    if (ref === undefined) continue;
    const earlier = firstByKey.get(ref);
    if (earlier === undefined) firstByKey.set(ref, pos);
    if (other(earlier)) {
      resolved.set(pos, { sameAs: earlier! });
      continue;
    }
    const holder = await liveHolderElsewhere(client, layout, mine, job.name, job.uniqueKey!, now);
    if (holder !== undefined) resolved.set(pos, { result: { id: holder, deduplicated: true } });
  }
  return resolved;
}

/** The live job of a slot other than `mine` that holds a unique key, if any. */
export async function liveHolderElsewhere(client: Client, layout: Layout, mine: Slot, name: string, key: string, now: number): Promise<string | undefined> {
  for (const s of layout.slots) {
    if (s === mine) continue;
    const held = await client.get(uniqueKeyOf(s, name, key));
    if (!held) continue;
    const sep = held.indexOf(":");
    const heldId = held.slice(sep + 1);
    if (Number(held.slice(0, sep)) > now && LIVE.has((await client.hget(s.keys.job(heldId), "s")) ?? "")) return heldId;
  }
  return undefined;
}

/** Fills in the results of resolved jobs once the others have theirs. */
export function completeResults(results: (EnqueueResult | undefined)[], resolved: Map<number, Resolved>): EnqueueResult[] {
  for (const [pos, r] of [...resolved].sort((a, b) => a[0] - b[0])) {
    results[pos] = "result" in r ? r.result : { id: results[r.sameAs]!.id, deduplicated: true };
  }
  return results as EnqueueResult[];
}
