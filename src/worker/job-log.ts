/**
 * `ctx.log` of one try: every line goes to the process log (with the job's
 * id, name, queue and attempt) and is kept on the job, where `jobs show`
 * and the dashboard read it. Lines are buffered and written in one store
 * call a moment later, and once more before the try's outcome (after which
 * the lease, and so the right to write, is gone). A job that never logs
 * costs no timer and no write. Lines and fields are bounded, so a chatty
 * or hostile job cannot flood the store.
 */

import { safeJson } from "../core/inert.ts";
import type { Logger } from "../core/logger.ts";
import type { JobLogLine } from "../core/types.ts";
import type { JobLogger } from "../sdk/define-job.ts";

/** How long lines wait to be written together. */
const FLUSH_AFTER_MS = 250;
const MAX_MSG_CHARS = 2_000;
const MAX_FIELDS_CHARS = 4_000;

export class JobLog implements JobLogger {
  private pending: JobLogLine[] = [];
  private stored = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly log: Logger,
    private readonly attempt: number,
    private readonly write: (lines: JobLogLine[]) => Promise<void>,
    /** limits.jobLogLines: lines one try stores (the store keeps as many, over all tries); later ones go to the process log only. */
    private readonly maxLines: number,
  ) {}

  debug(msg: string, fields?: Record<string, unknown>): void {
    this.line("debug", msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    this.line("info", msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.line("warn", msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    this.line("error", msg, fields);
  }

  /** Writes what is buffered; call before the try's outcome. Never rejects. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length) {
      const lines = this.pending;
      this.pending = [];
      this.writing = this.writing.then(() => this.write(lines)).catch(() => {});
    }
    return this.writing;
  }

  private line(level: JobLogLine["level"], msg: unknown, fields?: Record<string, unknown>): void {
    this.log[level](String(msg), fields);
    if (this.stored > this.maxLines) return;
    this.stored++;
    if (this.stored > this.maxLines) {
      // One last line says where the rest went, so a short log is never mistaken for a quiet job.
      this.keep({ at: Date.now(), attempt: this.attempt, level: "warn", msg: `ctx.log: this try wrote more than ${this.maxLines} lines; the rest are in the worker's log only (limits.jobLogLines)` });
      return;
    }
    const line: JobLogLine = { at: Date.now(), attempt: this.attempt, level, msg: String(msg).slice(0, MAX_MSG_CHARS) };
    const kept = keptFields(fields);
    if (kept) line.fields = kept;
    this.keep(line);
  }

  private keep(line: JobLogLine): void {
    this.pending.push(line);
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_AFTER_MS);
  }
}

/** Fields as plain JSON, or a note when they cannot be stored or are too big. */
function keptFields(fields: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (fields === undefined || fields === null || typeof fields !== "object") return undefined;
  let text: string;
  try {
    text = safeJson(fields);
  } catch {
    return { note: "fields could not be stored as JSON" };
  }
  if (text.length > MAX_FIELDS_CHARS) return { note: `fields were ${text.length} characters; at most ${MAX_FIELDS_CHARS} are kept` };
  return JSON.parse(text);
}
