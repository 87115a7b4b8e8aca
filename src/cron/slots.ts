/**
 * Which cron slots are due: a pure function of (expression, timezone, the
 * last slot run, now, catch-up window), so DST changes, clock jumps and
 * downtime are unit-tested without a store or a timer.
 *
 * The rules it owns:
 * - Only slots strictly after `after` (the last slot run) are due, so a
 *   clock that jumps backwards never brings an old slot back.
 * - After downtime only the latest missed slot runs; with a catch-up window
 *   every missed slot inside the window runs too (never more than
 *   `maxSlots`, the newest kept).
 * - One canonical slot sequence per expression. cron-parser's answer
 *   depends on where iteration starts near a DST change (from inside the
 *   repeated autumn hour `30 2 * * *` yields a second 02:30; `prev()` misses
 *   the spring 03:30 that `next()` gives). `next()` is a pure function of
 *   its start, so the sequence walked from a point no DST change is near
 *   is the same wherever that point lies; every walk forward starts either
 *   at such a point or at a slot of that sequence (the last one run).
 */

import type { CronExpression } from "cron-parser";
import { cronIterator, type CronSpec } from "./expr.ts";

export interface SlotQuery {
  spec: CronSpec;
  /** Epoch ms; only slots after it are due: the last slot run, or when the schedule was first seen. */
  after: number;
  /**
   * True when `after` is a slot of this schedule (the last one run): the
   * walk forward may start right there. Otherwise it starts at a DST-safe
   * point before it, which costs more near a DST change.
   */
  afterIsSlot?: boolean;
  now: number;
  /** Missed slots younger than this also run; 0: only the latest. */
  catchUpMs: number;
  /** Upper bound on the slots returned (the newest are kept). */
  maxSlots?: number;
}

export interface SlotPlan {
  /** Ascending epoch ms, all in (after, now]. */
  due: number[];
  /** The first slot after max(now, after), if the expression has one. */
  next?: number;
}

export const MAX_CATCH_UP_SLOTS = 1_000;

const HOUR = 3_600_000;
/** A restart point this far from any UTC-offset change is outside every DST gap or repeated hour. */
const DST_MARGIN = 2 * HOUR;

export function planSlots(q: SlotQuery): SlotPlan {
  const maxSlots = Math.max(1, q.maxSlots ?? MAX_CATCH_UP_SLOTS);
  if (q.now <= q.after) return { due: [], next: firstAfter(q.spec, q.after, q.afterIsSlot) };
  return quickPlan(q, maxSlots) ?? fullPlan(q, maxSlots);
}

/** Steps the quick path may take before the gap counts as downtime. */
const QUICK_STEPS = 16;

/** The usual case, a tick or two after the last slot: walk forward from it. Undefined when the gap holds more slots. */
function quickPlan(q: SlotQuery, maxSlots: number): SlotPlan | undefined {
  const it = cronIterator(q.spec, q.afterIsSlot ? q.after : safePoint(q.spec.timezone, q.after));
  const missed: number[] = [];
  for (let n = 0; n < QUICK_STEPS; n++) {
    const slot = step(it, "next");
    if (slot === undefined || slot > q.now) return choose(q, missed, slot, maxSlots);
    if (slot > q.after) missed.push(slot);
  }
  return undefined;
}

/** After downtime: find where the due slots begin walking back from now, then walk forward from a DST-safe point. */
function fullPlan(q: SlotQuery, maxSlots: number): SlotPlan {
  // Cheap because it stops at the window's edge (or, without a window, at the latest slot).
  const lowest = q.now - Math.max(0, q.catchUpMs);
  const back = cronIterator(q.spec, q.now + 1);
  let earliest: number | undefined;
  for (let n = 0; n < maxSlots; n++) {
    const slot = step(back, "prev");
    if (slot === undefined || slot <= q.after || (n > 0 && slot < lowest)) break;
    earliest = slot;
  }

  const forward = cronIterator(q.spec, safePoint(q.spec.timezone, (earliest ?? q.now) - 1));
  const missed: number[] = [];
  for (;;) {
    const slot = step(forward, "next");
    if (slot === undefined || slot > q.now) return choose(q, missed, slot, maxSlots);
    if (slot <= q.after) continue;
    missed.push(slot);
    // The safe point may sit hours back (a DST change near): keep memory bounded while walking.
    if (missed.length > maxSlots * 2) missed.splice(0, missed.length - maxSlots);
  }
}

/** From the missed slots (ascending): those inside the catch-up window, and always the latest. */
function choose(q: SlotQuery, missed: number[], next: number | undefined, maxSlots: number): SlotPlan {
  const lowest = q.now - Math.max(0, q.catchUpMs);
  let due = missed.filter((slot) => slot >= lowest);
  if (due.length === 0 && missed.length > 0) due = [missed[missed.length - 1]];
  if (due.length > maxSlots) due = due.slice(due.length - maxSlots);
  return next === undefined ? { due } : { due, next };
}

/** The first slot strictly after `t` (`tIsSlot`: see SlotQuery.afterIsSlot). */
export function firstAfter(spec: CronSpec, t: number, tIsSlot = false): number | undefined {
  const it = cronIterator(spec, tIsSlot ? t : safePoint(spec.timezone, t));
  for (;;) {
    const slot = step(it, "next");
    if (slot === undefined || slot > t) return slot;
  }
}

/** The iterator's next or previous slot, or undefined when it has none (cron-parser throws; `hasNext()` would search twice). */
function step(it: CronExpression, dir: "next" | "prev"): number | undefined {
  try {
    return (dir === "next" ? it.next() : it.prev()).getTime();
  } catch {
    return undefined;
  }
}

/**
 * `t`, or an earlier point whose UTC offset equals the one DST_MARGIN
 * before it, i.e. no DST change lies within DST_MARGIN before the point,
 * so iteration from it is not thrown by a gap or a repeated hour.
 */
export function safePoint(timezone: string, t: number): number {
  let p = t;
  for (let i = 0; i < 48 && utcOffset(timezone, p) !== utcOffset(timezone, p - DST_MARGIN); i++) p -= HOUR;
  return p;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Minutes east of UTC of `timezone` at instant `t`. */
export function utcOffset(timezone: string, t: number): number {
  let fmt = formatters.get(timezone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timezone, fmt);
  }
  const part: Record<string, number> = {};
  for (const p of fmt.formatToParts(new Date(t))) if (p.type !== "literal") part[p.type] = Number(p.value);
  const local = Date.UTC(part.year, part.month - 1, part.day, part.hour, part.minute, part.second);
  return Math.round((local - Math.floor(t / 1000) * 1000) / 60_000);
}
