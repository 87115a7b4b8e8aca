/**
 * Flow control as a job record carries it (issue 20). The job module's
 * `concurrency`, `rateLimit` and `group` options, and the config's queue
 * limits, are turned into plain data when a job is enqueued (the key
 * functions run there, next to the payload schema), so every store can
 * enforce them inside its claim without running user code.
 *
 * A limit is a key and a bound. Keys are scoped: `j:<job>:<key>` for a
 * job's own limit, `q:<queue>` for a queue's. A concurrency limit and a
 * rate limit with the same key share one key state (active count and the
 * time the next start is allowed), which is what makes "pause this key"
 * (ctx.rateLimited) stop both.
 */

/** Bounds of every flow option: checked where options are read (registry, config). */
export const FLOW_MAX_RANGE = [1, 100_000] as const;
export const FLOW_PER_RANGE_MS = [100, 86_400_000] as const;
export const FLOW_KEY_MAX_CHARS = 256;
/** ctx.rateLimited(ms): from a millisecond to a day. */
export const FLOW_PAUSE_RANGE_MS = [1, 86_400_000] as const;

export interface FlowLimit {
  /** Scoped key: `j:<job>:<key>`, `j:<job>` or `q:<queue>`. */
  key: string;
  /** Concurrency: at most `max` active at once. Rate: at most `max` starts per `perMs`. */
  max: number;
  /** Present for a rate limit: starts are spaced at least perMs / max apart (no bursts). */
  perMs?: number;
}

export interface JobFlow {
  limits?: FlowLimit[];
  /** Fair-share group: waiting jobs of different groups are claimed round-robin within a priority level. */
  group?: string;
}

/** What a store keeps per key. */
export interface FlowKeyState {
  /** Jobs holding a concurrency slot of this key. */
  active: number;
  /** Epoch ms before which no job carrying this key may start (rate spacing, ctx.rateLimited). 0: none. */
  nextAt: number;
  /** The concurrency bound last seen for this key; undefined for a rate-only key. */
  max?: number;
  /** Waiting jobs parked on this key (they left the claim order until the key frees up). */
  parked: number;
}

export function emptyKeyState(): FlowKeyState {
  return { active: 0, nextAt: 0, parked: 0 };
}

/** The first limit that stops a start now: its key, and when time alone would lift it (undefined: a slot must free). */
export function blockingLimit(limits: readonly FlowLimit[], state: (key: string) => FlowKeyState | undefined, now: number): { key: string; until?: number } | undefined {
  for (const limit of limits) {
    const s = state(limit.key);
    if (!s) continue;
    if (s.nextAt > now) return { key: limit.key, until: s.nextAt };
    if (limit.perMs === undefined && s.active >= limit.max) return { key: limit.key };
  }
  return undefined;
}

/** A start: takes a concurrency slot, and moves a rate limit's next allowed start on by perMs / max. */
export function takeLimits(limits: readonly FlowLimit[], state: (key: string) => FlowKeyState, now: number): void {
  for (const limit of limits) {
    const s = state(limit.key);
    if (limit.perMs === undefined) {
      s.active += 1;
      s.max = limit.max;
    } else {
      s.nextAt = Math.max(s.nextAt, now) + limit.perMs / limit.max;
    }
  }
}

/** The job left `active`: its concurrency slots come back. Returns the keys touched. */
export function giveLimits(limits: readonly FlowLimit[], state: (key: string) => FlowKeyState | undefined): string[] {
  const keys: string[] = [];
  for (const limit of limits) {
    if (limit.perMs !== undefined) continue;
    const s = state(limit.key);
    if (s) s.active = Math.max(0, s.active - 1);
    keys.push(limit.key);
  }
  return keys;
}

/** True while the key may not start a job whatever it is (used to decide whether to unpark one). */
export function keyBlocked(s: FlowKeyState, now: number): boolean {
  return s.nextAt > now || (s.max !== undefined && s.active >= s.max);
}

/** A key state that holds nothing worth keeping (it can be dropped). */
export function keyIdle(s: FlowKeyState, now: number): boolean {
  return s.active <= 0 && s.parked <= 0 && s.nextAt <= now;
}

/** Keys ctx.rateLimited pauses: every key of the job's limits; none means its queue pauses. */
export function pauseKeys(flow: JobFlow | undefined): string[] {
  return [...new Set((flow?.limits ?? []).map((l) => l.key))];
}
