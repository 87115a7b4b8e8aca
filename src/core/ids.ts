/**
 * Job ids a person can type: each store numbers its jobs 1, 2, 3, … as it
 * stores them (one counter per deployment, kept with the jobs), so an id
 * is short, never collides, and reads the same in `jobs show 4711`, the
 * dashboard and a URL. Jobs that must be unique by construction carry an
 * id of their own instead (cron slots: `cron:<name>:<slotMs>`).
 *
 * Listings order ids "shortlex": shorter first, then by character, which
 * is numeric order for numbers and still a total order with cron ids mixed
 * in. Every store sorts the same way, so their pages and cursors agree.
 */

export function cronSlotId(scheduleName: string, slotEpochMs: number): string {
  return `cron:${scheduleName}:${slotEpochMs}`;
}

/** Negative when `a` comes before `b` in shortlex order. */
export function compareIds(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
