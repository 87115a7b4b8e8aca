/**
 * Runs one try of one job in this process (async mode): builds `ctx`,
 * parses the payload, enforces the timeout through `ctx.signal`, and
 * reports how the try ended. It never touches the store; the pool decides
 * what the ending means (see outcome.ts).
 */

import { toError } from "../core/errors.ts";
import type { JobEntry } from "../registry/job-entry.ts";
import { parsePayload } from "../registry/job-entry.ts";
import type { EnqueueOptions, JobContext, JobLogger } from "../sdk/define-job.ts";
import { TimedOut, Unrecoverable } from "../sdk/errors.ts";
import type { ReservedJob } from "../store/store.ts";

/**
 * `abandoned`: the job ignored its aborted signal past the grace period and may still be running.
 * `crashed`: the thread or child process running it died (thread and process modes); a stall, not a failed try.
 */
export type TryEnding = { ok: true; result: unknown } | { ok: false; error: Error; abandoned?: boolean; crashed?: boolean };

export interface ExecuteParams {
  entry: JobEntry;
  job: ReservedJob;
  /** Aborted by the pool for cancel, lost lease or shutdown; the timeout is added here. */
  controller: AbortController;
  /** How long a job that ignores its aborted signal is awaited before the try is written off. */
  abandonAfterMs: number;
  /** `ctx.log`: the process log and the job's own (job-log.ts). */
  log: JobLogger;
  progress(pct: number, msg?: string): void;
  enqueue(name: string, payload: unknown, opts?: EnqueueOptions): Promise<string>;
}

export async function executeTry(p: ExecuteParams): Promise<TryEnding> {
  const { entry, job, controller } = p;
  let payload: unknown;
  try {
    payload = parsePayload(entry, job.data);
  } catch (err) {
    return { ok: false, error: new Unrecoverable((err as Error).message) };
  }
  const ctx: JobContext = {
    id: job.id,
    name: job.name,
    queue: job.queue,
    attempt: job.attemptsMade + 1,
    maxAttempts: job.maxAttempts,
    signal: controller.signal,
    progress: (pct, msg) => p.progress(clampPct(pct), msg),
    log: p.log,
    enqueue: p.enqueue,
  };

  const timeout = setTimeout(() => controller.abort(new TimedOut(entry.timeoutMs)), entry.timeoutMs);
  let abandon: ReturnType<typeof setTimeout> | undefined;
  // A job that ignores its signal must not hold the slot forever: once aborted, give it a grace period.
  const abandoned = new Promise<TryEnding>((resolve) => {
    const onAbort = () => {
      abandon = setTimeout(() => resolve({ ok: false, error: toError(controller.signal.reason), abandoned: true }), p.abandonAfterMs);
    };
    if (controller.signal.aborted) onAbort();
    else controller.signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    const ran = (async (): Promise<TryEnding> => {
      try {
        return { ok: true, result: toJsonResult(await entry.run(payload, ctx)) };
      } catch (err) {
        return { ok: false, error: toError(err) };
      }
    })();
    return await Promise.race([ran, abandoned]);
  } finally {
    clearTimeout(timeout);
    clearTimeout(abandon);
  }
}

export function clampPct(pct: number): number {
  return Number.isFinite(pct) ? Math.max(0, Math.min(100, pct)) : 0;
}

/** Results are stored as JSON; check that now, in the job's try, not later in the store. */
export function toJsonResult(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  const t = typeof value;
  if (t === "string" || t === "number" || t === "boolean") return value;
  try {
    return JSON.parse(JSON.stringify(value));
  } catch (err) {
    throw new Unrecoverable(`the job's return value is not JSON-serialisable: ${(err as Error).message}`);
  }
}
