/**
 * When a failed try runs again. Exponential with a cap and full jitter by
 * default (spreads a thundering herd of retries against a recovering
 * dependency); fixed for jobs that poll something.
 */

export interface BackoffPolicy {
  type: "exponential" | "fixed";
  delayMs: number;
  maxMs: number;
  jitter: boolean;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { type: "exponential", delayMs: 1_000, maxMs: 600_000, jitter: true };

/** Delay before try `attemptsMade + 1`, given `attemptsMade` >= 1 tries have failed. */
export function backoffDelay(policy: BackoffPolicy, attemptsMade: number, random: () => number = Math.random): number {
  const base =
    policy.type === "fixed" ? policy.delayMs : Math.min(policy.maxMs, policy.delayMs * 2 ** Math.max(0, attemptsMade - 1));
  const capped = Math.min(policy.maxMs, base);
  // "Equal jitter": keep at least half the delay so retries never bunch at zero.
  return policy.jitter ? Math.round(capped / 2 + random() * (capped / 2)) : capped;
}
