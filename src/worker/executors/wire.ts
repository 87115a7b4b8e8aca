/**
 * What a job host (a worker thread or a child process running jobs, see
 * job-host.ts) and the pool that owns it say to each other, and how errors
 * cross between them.
 *
 * On the wire a message is a flat array of strings and numbers, with
 * payloads, results and fields as JSON text (encode/decode below). That is
 * the hot path of thread and process modes, and its shape matters: Bun's
 * postMessage clones an object several times slower than an array of
 * strings (probed on Bun 1.4.5: a round trip of the run/done pair took
 * 41 µs as objects, 15 µs as flat arrays with JSON payloads), and child
 * processes speak JSON over IPC anyway (cheaper than Bun's structured-clone
 * IPC, probed). The typed shapes (ToHost, FromHost) are what both ends
 * work with.
 *
 * An Error loses its class on the way (only `message` survives a
 * postMessage), so errors travel as fields and are rebuilt here: the
 * control errors of the SDK (RetryLater with its delay, Unrecoverable,
 * Cancelled, TimedOut, ShuttingDown) come back as what they were, so
 * outcome.ts reads them exactly as in async mode.
 */

import { toError } from "../../core/errors.ts";
import type { EnqueueOptions } from "../../sdk/define-job.ts";
import { Cancelled, controlKind, RateLimited, RetryLater, ShuttingDown, TimedOut, Unrecoverable, type ControlKind } from "../../sdk/errors.ts";
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
  /** The try's module was loaded just now (its first try on this host): its timeout starts over from here. */
  | { t: "loaded"; id: string }
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
  if (kind === "rate-limited") out.delayMs = (e as RateLimited).pauseMs;
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
    case "rate-limited":
      e = new RateLimited(Number(w.delayMs) || 0, w.message);
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

// ---- wire encoding: flat arrays, JSON text for free-form values --------

export type Wire = (string | number | null)[];

const json = (v: unknown): string => (v === undefined ? "" : JSON.stringify(v));
const unjson = (t: unknown): any => (typeof t === "string" && t !== "" ? JSON.parse(t) : undefined);
const str = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));

export function encodeToHost(m: ToHost): Wire {
  switch (m.t) {
    case "run":
      return [0, m.file, m.id, m.name, m.queue, m.attempt, m.maxAttempts, json(m.data)];
    case "abort":
      return [1, m.id, json(m.reason)];
    case "enqueued":
      return [2, m.req, m.id ?? null, m.error ? json(m.error) : null];
  }
}

export function decodeToHost(w: Wire): ToHost {
  switch (w[0]) {
    case 0:
      return { t: "run", file: String(w[1]), id: String(w[2]), name: String(w[3]), queue: String(w[4]), attempt: Number(w[5]), maxAttempts: Number(w[6]), data: unjson(w[7]) };
    case 1:
      return { t: "abort", id: String(w[1]), reason: unjson(w[2]) };
    default:
      return { t: "enqueued", req: Number(w[1]), id: str(w[2]), error: w[3] ? unjson(w[3]) : undefined };
  }
}

export function encodeFromHost(m: FromHost): Wire {
  switch (m.t) {
    case "ready":
      return [0, m.pid];
    case "progress":
      return [1, m.id, m.pct, m.msg ?? null];
    case "log":
      return [2, m.id, m.level, m.msg, m.fields === undefined ? null : json(m.fields)];
    case "enqueue":
      return [3, m.id, m.req, m.name, json(m.data), m.opts === undefined ? null : json(m.opts)];
    case "done":
      return m.ok ? [4, m.id, 1, json(m.result)] : [4, m.id, 0, json(m.error)];
    case "loaded":
      return [5, m.id];
  }
}

export function decodeFromHost(w: Wire): FromHost {
  switch (w[0]) {
    case 0:
      return { t: "ready", pid: Number(w[1]) };
    case 1:
      return { t: "progress", id: String(w[1]), pct: Number(w[2]), msg: str(w[3]) };
    case 2:
      return { t: "log", id: String(w[1]), level: String(w[2]) as JobLogLine["level"], msg: String(w[3]), fields: w[4] === null ? undefined : unjson(w[4]) };
    case 3:
      return { t: "enqueue", id: String(w[1]), req: Number(w[2]), name: String(w[3]), data: unjson(w[4]), opts: w[5] === null ? undefined : unjson(w[5]) };
    case 5:
      return { t: "loaded", id: String(w[1]) };
    default:
      return w[2] === 1 ? { t: "done", id: String(w[1]), ok: true, result: unjson(w[3]) ?? null } : { t: "done", id: String(w[1]), ok: false, error: unjson(w[3]) };
  }
}
