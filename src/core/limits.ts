/**
 * The bounds on what callers hand qworker, in one place, each with its
 * config key (`limits.*`) and a default. They exist so that one careless
 * or hostile request cannot make the store, the worker or the admin API
 * pay without bound: a 50 MB payload copied into every listing, a job
 * returning a 1 GB result, a million jobs in one enqueue transaction.
 */

export interface Limits {
  /** A job's payload as stored JSON (limits.maxPayloadBytes). */
  maxPayloadBytes: number;
  /** A job's return value as stored JSON (limits.maxResultBytes). */
  maxResultBytes: number;
  /** Jobs in one enqueue call: an HTTP bulk request, a client call, one `--jsonl` file (limits.maxBulkJobs). */
  maxBulkJobs: number;
  /** `ctx.log` lines kept on a job, the last ones over all its tries (limits.jobLogLines). */
  jobLogLines: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxPayloadBytes: 512 * 1024,
  maxResultBytes: 1024 * 1024,
  maxBulkJobs: 10_000,
  jobLogLines: 200,
};

/** Bytes of `text` as UTF-8, counted without encoding it when it cannot be over `max`. */
export function utf8Bytes(text: string, max: number): number {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: short strings are surely under the limit.
  if (text.length * 3 <= max) return text.length;
  return Buffer.byteLength(text, "utf8");
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${Math.round((n / 1024) * 10) / 10} KiB`;
  return `${Math.round((n / 1024 / 1024) * 10) / 10} MiB`;
}
