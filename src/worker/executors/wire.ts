/**
 * What a job host (a worker thread or a child process running jobs, see
 * job-host.ts) and the pool that owns it say to each other, and how errors
 * cross between them. Messages are plain JSON values: threads could carry
 * more, but child processes speak JSON over IPC (cheaper than Bun's
 * structured-clone IPC, probed), and one shape keeps both honest.
 *
 * An Error loses its class on the way (only `message` survives a
 * postMessage), so errors travel as fields and are rebuilt here: the
 * control errors of the SDK (RetryLater with its delay, Unrecoverable,
 * Cancelled, TimedOut, ShuttingDown) come back as what they were, so
 * outcome.ts reads them exactly as in async mode.
 */

import { toError } from "../../core/errors.ts";
import type { EnqueueOptions } from "../../sdk/define-job.ts";
import { Cancelled, controlKind, RetryLater, ShuttingDown, TimedOut, Unrecoverable, type ControlKind } from "../../sdk/errors.ts";
import type { JobLogLine } from "../../core/types.ts";

export interface WireError {
  name: string;
  message: string;
  stack?: string;
  kind?: ControlKind;
  delayMs?: number;
  timeoutMs?: number;
}

/** One try, as the host needs it: which module, the stored payload, and the `ctx` fields. */
export interface RunMessage {
  t: "run";
  /** The job module's absolute path; the host imports it once and keeps it. */
  file: string;
  id: string;
  name: string;
  queue: string;
  attempt: number;
  maxAttempts: number;
  data: unknown;
}

/** Parent → host. */
export type ToHost =
  | RunMessage
  | { t: "abort"; id: string; reason: WireError }
  | { t: "enqueued"; req: number; id?: string; error?: WireError };

/** Host → parent. */
export type FromHost =
  | { t: "ready"; pid: number }
  | { t: "progress"; id: string; pct: number; msg?: string }
  | { t: "log"; id: string; level: JobLogLine["level"]; msg: string; fields?: Record<string, unknown> }
  | { t: "enqueue"; id: string; req: number; name: string; data: unknown; opts?: WireEnqueueOptions }
  | { t: "done"; id: string; ok: true; result: unknown }
  | { t: "done"; id: string; ok: false; error: WireError };

/** EnqueueOptions with `at` as an ISO string: a Date does not survive JSON. */
export type WireEnqueueOptions = Omit<EnqueueOptions, "at"> & { at?: string };

export function toWireError(err: unknown): WireError {
  const e = toError(err);
  const out: WireError = { name: e.name, message: e.message };
  if (e.stack) out.stack = e.stack.split("\n").slice(0, 12).join("\n");
  const kind = controlKind(e);
  if (kind) out.kind = kind;
  if (kind === "retry-later") out.delayMs = (e as RetryLater).delayMs;
  if (kind === "timed-out") out.timeoutMs = (e as TimedOut).timeoutMs;
  return out;
}

/** The error as its own class again when it was one of the SDK's control errors; a plain Error with its name otherwise. */
export function fromWireError(w: WireError): Error {
  let e: Error;
  switch (w.kind) {
    case "retry-later":
      e = new RetryLater(Number(w.delayMs) || 0, w.message);
      break;
    case "unrecoverable":
      e = new Unrecoverable(w.message);
      break;
    case "cancelled":
      e = new Cancelled(w.message);
      break;
    case "timed-out":
      e = new TimedOut(Number(w.timeoutMs) || 0);
      break;
    case "shutting-down":
      e = new ShuttingDown();
      break;
    default:
      e = new Error(w.message);
      e.name = w.name || "Error";
  }
  if (w.stack) e.stack = w.stack;
  return e;
}

export function toWireOptions(opts: EnqueueOptions | undefined): WireEnqueueOptions | undefined {
  if (!opts) return undefined;
  const { at, ...rest } = opts;
  return at === undefined ? rest : { ...rest, at: at instanceof Date ? at.toISOString() : String(at) };
}
