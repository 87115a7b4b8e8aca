/**
 * Errors from the admin API arrive as `{ error: { code, message, issues } }`;
 * they are re-created here as the same typed classes the server threw
 * (ValidationError, UnknownJobError, NotFoundError, ...), so
 * `err instanceof ValidationError` works over HTTP as over a store. Codes
 * this version does not know become RemoteError.
 */

import {
  type FieldIssue,
  ConfigError,
  InvalidStateError,
  JobLoadError,
  NotFoundError,
  PayloadTooLargeError,
  QworkerError,
  ReadOnlyError,
  StoreUnavailableError,
  UnauthorizedError,
  UnknownJobError,
  UsageError,
  ValidationError,
} from "../core/errors.ts";

/** An error code the client has no class for (a newer server, a proxy's answer). */
export class RemoteError extends QworkerError {
  override readonly name = "RemoteError";
  constructor(
    override readonly status: number,
    readonly remoteCode: string,
    message: string,
  ) {
    super(message);
  }
}

/** Rejection of any call in flight, or made later, once the client (or its operations) is closed. */
export class ClientClosedError extends Error {
  constructor() {
    super("the QworkerClient is closed");
    this.name = "ClientClosedError";
  }
}

const BY_CODE: Record<string, (message: string) => QworkerError> = {
  usage: (m) => new UsageError(m),
  config: (m) => new ConfigError(m),
  validation: (m) => new ValidationError(m),
  unknown_job: (m) => withMessage(new UnknownJobError("", []), m),
  not_found: (m) => new NotFoundError(m),
  invalid_state: (m) => new InvalidStateError(m),
  job_load: (m) => withMessage(new JobLoadError([]), m),
  store_unavailable: (m) => new StoreUnavailableError(m),
  unauthorized: (m) => new UnauthorizedError(m),
  payload_too_large: (m) => new PayloadTooLargeError(m),
  read_only: (m) => new ReadOnlyError(m),
};

/** Re-creates the server's typed error from an error body (or anything else a non-2xx reply held). */
export function errorFromReply(status: number, body: unknown, fallbackText: string): QworkerError {
  const error = (body as { error?: { code?: unknown; message?: unknown; issues?: unknown } } | undefined)?.error;
  const code = typeof error?.code === "string" ? error.code : undefined;
  const message = typeof error?.message === "string" ? error.message : `HTTP ${status}: ${fallbackText.slice(0, 200) || "(empty reply)"}`;
  const make = code !== undefined ? BY_CODE[code] : undefined;
  const err = make ? make(message) : new RemoteError(status, code ?? `http_${status}`, message);
  const issues = issuesOf(error?.issues);
  if (issues) err.issues = issues;
  return err;
}

/** The server's `issues`, if they have the shape it sends; anything else is ignored. */
function issuesOf(raw: unknown): FieldIssue[] | undefined {
  if (!Array.isArray(raw)) return undefined;
  const out: FieldIssue[] = [];
  for (const i of raw) {
    if (i === null || typeof i !== "object" || typeof (i as FieldIssue).message !== "string") return undefined;
    const { index, field, message } = i as FieldIssue;
    out.push({ message, ...(typeof index === "number" ? { index } : {}), ...(typeof field === "string" ? { field } : {}) });
  }
  return out;
}

function withMessage<E extends Error>(err: E, message: string): E {
  err.message = message;
  return err;
}
