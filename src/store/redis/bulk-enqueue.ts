/**
 * Enqueues of any size, all or nothing. Up to ENQUEUE_CHUNK jobs of one
 * slot go in one script (enqueue.lua). A bigger batch (or one that spans
 * queue tags) would make one script block Redis for too long, and a MULTI
 * of several scripts is not all-or-nothing when Redis runs out of memory
 * half-way. So it is staged and then published:
 *  1. stage, one script per slice (enqueue-stage.lua): the jobs' hashes
 *     are written out of sight (no state: nothing lists, counts or claims
 *     them). On a Redis out of memory a slice is refused before it writes.
 *  2. on any failure, abort (enqueue-abort.lua, allow-oom) deletes what was
 *     staged, and the caller gets the same clear error as for a small batch;
 *  3. publish (enqueue-publish.lua, allow-oom): one script per slot puts
 *     every staged job in line at once; it cannot be refused for memory
 *     because the jobs already hold theirs.
 * A client that dies between 1 and 3 leaves a stage with a deadline, which
 * the scheduler's rescuer deletes (rescue-expired.lua). A batch spanning
 * several tags is published tag by tag, so only a connection lost between
 * two publishes can split it.
 */

import { randomBytes } from "node:crypto";
import { StoreUnavailableError } from "../../core/errors.ts";
import type { EnqueueResult } from "../../core/types.ts";
import type { Layout, Slot } from "./layout.ts";
import type { ScriptArg, ScriptName } from "./scripts.ts";

/** Jobs per script: each stays short (~10-20 ms of Redis time). */
export const ENQUEUE_CHUNK = 1_000;
/** Slices in flight at once while staging (one connection, so they run in order). */
const STAGE_WINDOW = 4;
/** An unpublished stage older than this is deleted by the rescuer. */
const STAGE_DEADLINE_MS = 10 * 60_000;

export type SlotRunner = (slot: Slot, name: ScriptName, key: string, args: ScriptArg[]) => Promise<unknown>;

export interface SlotBatch {
  slot: Slot;
  /** 11 enqueue fields per job (codec.ts enqueueArgs). */
  args: string[][];
  /** Where each job sits in the caller's batch. */
  positions: number[];
}

function idArgs(layout: Layout, slot: Slot): number[] {
  return [layout.step, slot.index];
}

/** One slot, one script: the common case. Results go to the batch's positions in `results`. */
export async function enqueueSmall(run: SlotRunner, layout: Layout, batch: SlotBatch, now: number, results: EnqueueResult[]): Promise<void> {
  const reply = (await run(batch.slot, "enqueue", batch.slot.keys.jobid, [now, ...idArgs(layout, batch.slot), ...batch.args.flat()])) as string[];
  batch.positions.forEach((pos, i) => (results[pos] = { id: reply[2 * i], deduplicated: reply[2 * i + 1] === "1" }));
}

/** Stage every slot's jobs, then publish slot by slot. Results go to the batches' positions in `results`. */
export async function enqueueStaged(run: SlotRunner, layout: Layout, batches: SlotBatch[], now: number, clockNow: () => number, results: EnqueueResult[]): Promise<void> {
  const token = randomBytes(9).toString("base64url");
  const staged = new Map<Slot, string[]>();
  try {
    for (const b of batches) staged.set(b.slot, await stageSlot(run, layout, b, token, now, clockNow));
  } catch (err) {
    await Promise.all(batches.map((b) => run(b.slot, "enqueueAbort", b.slot.keys.stage(token), [token]).catch(() => {})));
    throw err;
  }
  const total = batches.reduce((n, b) => n + b.args.length, 0);
  for (const b of batches) {
    const reply = (await run(b.slot, "enqueuePublish", b.slot.keys.stage(token), [now, ...idArgs(layout, b.slot), token])) as string[];
    if (reply[0] !== "ok") {
      throw new StoreUnavailableError(`a bulk enqueue of ${total} jobs took longer than ${STAGE_DEADLINE_MS / 60_000} minutes to stage and was discarded; nothing of it was stored`);
    }
    const ids = staged.get(b.slot)!;
    let d = 1;
    b.positions.forEach((pos, i) => {
      if (ids[i] !== "") results[pos] = { id: ids[i], deduplicated: false };
      else {
        results[pos] = { id: reply[d], deduplicated: reply[d + 1] === "1" };
        d += 2;
      }
    });
  }
}

async function stageSlot(run: SlotRunner, layout: Layout, b: SlotBatch, token: string, now: number, clockNow: () => number): Promise<string[]> {
  const key = b.slot.keys.stage(token);
  const replies: Promise<string[]>[] = [];
  let inFlight: Promise<string[]>[] = [];
  for (let i = 0; i < b.args.length; i += ENQUEUE_CHUNK) {
    const args = [now, ...idArgs(layout, b.slot), token, clockNow() + STAGE_DEADLINE_MS, ...b.args.slice(i, i + ENQUEUE_CHUNK).flat()];
    const p = run(b.slot, "enqueueStage", key, args) as Promise<string[]>;
    p.catch(() => {}); // awaited below; a rejection here must not be unhandled meanwhile
    replies.push(p);
    inFlight.push(p);
    if (inFlight.length >= STAGE_WINDOW) {
      await inFlight[0];
      inFlight = inFlight.slice(1);
    }
  }
  return (await Promise.all(replies)).flat();
}
