/**
 * Typed errors for everything a user can get wrong or a store can refuse.
 * Each carries a stable `code` (used in HTTP error bodies), the CLI exit code
 * of DESIGN §4 and the HTTP status, so the edges map errors without guessing.
 */

export type ErrorCode =
  | "read_only"
  | "usage"
  | "config"
  | "validation"
  | "unknown_job"
  | "not_found"
  | "invalid_state"
  | "job_load"
  | "store_unavailable"
  | "unauthorized"
  | "payload_too_large"
  | "internal";

/**
 * One thing wrong with a request, as data: the edges (CLI flags, HTTP
 * fields, a line of a --jsonl file) word it for their caller instead of
 * parsing messages. `field` uses the HTTP body's names (`in`, `data.to`).
 */
export interface FieldIssue {
  /** Position of the item in a batch. */
  index?: number;
  field?: string;
  message: string;
}

export interface QworkerErrorOptions {
  cause?: unknown;
  issues?: FieldIssue[];
}

export class QworkerError extends Error {
  readonly code: ErrorCode = "internal";
  readonly exitCode: number = 1;
  readonly status: number = 500;
  /** What was wrong, field by field, when the error is about a request. */
  issues?: FieldIssue[];

  constructor(message: string, options?: QworkerErrorOptions) {
    super(message, options);
    // Spelled out, not new.target.name: a minifier renames classes, and the name is what users see.
    this.name = "QworkerError";
    if (options?.issues) this.issues = options.issues;
  }
}

/** Builds the message of a request error from its issues: `in: must be ...; data.to: Invalid email`. */
export function issuesMessage(issues: FieldIssue[]): string {
  return issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join("; ");
}

/** Bad flag, argument or HTTP field. */
export class UsageError extends QworkerError {
  override readonly name = "UsageError";
  override readonly code = "usage";
  override readonly exitCode = 2;
  override readonly status = 400;
}

/** The config file, env or flags do not describe a valid configuration. */
export class ConfigError extends QworkerError {
  override readonly name = "ConfigError";
  override readonly code = "config";
  override readonly exitCode = 2;
  override readonly status = 400;
}

/** A payload failed its job's schema. */
export class ValidationError extends QworkerError {
  override readonly name = "ValidationError";
  override readonly code = "validation";
  override readonly exitCode = 2;
  override readonly status = 400;
}

export class UnknownJobError extends QworkerError {
  override readonly name = "UnknownJobError";
  override readonly code = "unknown_job";
  override readonly exitCode = 2;
  override readonly status = 400;
  constructor(name: string, known: string[]) {
    super(`unknown job "${name}"; known jobs: ${known.length ? known.join(", ") : "(none: is --jobs pointing at your jobs folder?)"}`);
  }
}

export class NotFoundError extends QworkerError {
  override readonly name = "NotFoundError";
  override readonly code = "not_found";
  override readonly exitCode = 2;
  override readonly status = 404;
}

/** The operation does not apply to the job's current state (e.g. retry a running job). */
export class InvalidStateError extends QworkerError {
  override readonly name = "InvalidStateError";
  override readonly code = "invalid_state";
  override readonly exitCode = 2;
  override readonly status = 409;
}

/** One or more job modules failed to load or validate. */
export class JobLoadError extends QworkerError {
  override readonly name = "JobLoadError";
  override readonly code = "job_load";
  override readonly exitCode = 2;
  override readonly status = 500;
  constructor(readonly problems: { file: string; reason: string }[]) {
    super(`${problems.length} problem(s) with the job modules or config:\n` + problems.map((p) => `  ${p.file}: ${p.reason}`).join("\n"));
  }
}

export class StoreUnavailableError extends QworkerError {
  override readonly name = "StoreUnavailableError";
  override readonly code = "store_unavailable";
  override readonly exitCode = 3;
  override readonly status = 503;
}

export class UnauthorizedError extends QworkerError {
  override readonly name = "UnauthorizedError";
  override readonly code = "unauthorized";
  override readonly exitCode = 2;
  override readonly status = 401;
}

/** A state change sent to an admin API configured with admin.readOnly. */
export class ReadOnlyError extends QworkerError {
  override readonly name = "ReadOnlyError";
  override readonly code = "read_only";
  override readonly exitCode = 2;
  override readonly status = 403;
}

export class PayloadTooLargeError extends QworkerError {
  override readonly name = "PayloadTooLargeError";
  override readonly code = "payload_too_large";
  override readonly exitCode = 2;
  override readonly status = 413;
}

/** Coerce anything thrown into an Error with a message, keeping the original as `cause`. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === "string") return new Error(thrown);
  let text: string;
  try {
    text = JSON.stringify(thrown);
  } catch {
    text = String(thrown);
  }
  return new Error(`non-Error thrown: ${text}`, { cause: thrown });
}
