/**
 * Typed errors for everything a user can get wrong or a store can refuse.
 * Each carries a stable `code` (used in HTTP error bodies), the CLI exit code
 * of DESIGN §4 and the HTTP status, so the edges map errors without guessing.
 */

export type ErrorCode =
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

export class QworkerError extends Error {
  readonly code: ErrorCode = "internal";
  readonly exitCode: number = 1;
  readonly status: number = 500;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad flag, argument or HTTP field. */
export class UsageError extends QworkerError {
  override readonly code = "usage";
  override readonly exitCode = 2;
  override readonly status = 400;
}

/** The config file, env or flags do not describe a valid configuration. */
export class ConfigError extends QworkerError {
  override readonly code = "config";
  override readonly exitCode = 2;
  override readonly status = 400;
}

/** A payload failed its job's schema. */
export class ValidationError extends QworkerError {
  override readonly code = "validation";
  override readonly exitCode = 2;
  override readonly status = 400;
}

export class UnknownJobError extends QworkerError {
  override readonly code = "unknown_job";
  override readonly exitCode = 2;
  override readonly status = 400;
  constructor(name: string, known: string[]) {
    super(`unknown job "${name}"; known jobs: ${known.length ? known.join(", ") : "(none: is --jobs pointing at your jobs folder?)"}`);
  }
}

export class NotFoundError extends QworkerError {
  override readonly code = "not_found";
  override readonly exitCode = 2;
  override readonly status = 404;
}

/** The operation does not apply to the job's current state (e.g. retry a running job). */
export class InvalidStateError extends QworkerError {
  override readonly code = "invalid_state";
  override readonly exitCode = 2;
  override readonly status = 409;
}

/** One or more job modules failed to load or validate. */
export class JobLoadError extends QworkerError {
  override readonly code = "job_load";
  override readonly exitCode = 2;
  override readonly status = 500;
  constructor(readonly problems: { file: string; reason: string }[]) {
    super(`${problems.length} job module problem(s):\n` + problems.map((p) => `  ${p.file}: ${p.reason}`).join("\n"));
  }
}

export class StoreUnavailableError extends QworkerError {
  override readonly code = "store_unavailable";
  override readonly exitCode = 3;
  override readonly status = 503;
}

export class UnauthorizedError extends QworkerError {
  override readonly code = "unauthorized";
  override readonly exitCode = 2;
  override readonly status = 401;
}

export class PayloadTooLargeError extends QworkerError {
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
