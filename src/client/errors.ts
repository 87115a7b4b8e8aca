/**
 * The errors a client call rejects with. Errors from the admin API arrive
 * as `{ error: { code, message } }`; they are re-created here as the same
 * typed classes the server threw (ValidationError, UnknownJobError,
 * NotFoundError, ...), so `err instanceof ValidationError` works on either
 * transport. Codes this version does not know become RemoteError.
 */

import {
  ConfigError,
  InvalidStateError,
  JobLoadError,
  NotFoundError,
  PayloadTooLargeError,
  QworkerError,
  StoreUnavailableError,
  UnauthorizedError,
  UnknownJobError,
  UsageError,
  ValidationError,
} from "../core/errors.ts";
import type { JobRecord } from "../core/types.ts";

/** An error code the client has no class for (a newer server, a proxy's answer). */
export class RemoteError extends QworkerError {
  constructor(
    override readonly status: number,
    readonly remoteCode: string,
    message: string,
  ) {
    super(message);
  }
}

/** `waitFor` gave up; `job` is the last record it saw (still pending or running). */
export class WaitTimeoutError extends Error {
  constructor(
    readonly jobId: string,
    readonly job: JobRecord,
    readonly timeoutMs: number,
  ) {
    super(`job ${jobId} is still ${job.state} after ${timeoutMs} ms; it keeps running, call waitFor again or cancel it`);
    this.name = "WaitTimeoutError";
  }
}

/** Rejection of `waitFor` and any call in flight when the client is closed. */
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
};

/** Re-creates the server's typed error from an error body (or anything else a non-2xx reply held). */
export function errorFromReply(status: number, body: unknown, fallbackText: string): QworkerError {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const code = typeof error?.code === "string" ? error.code : undefined;
  const message = typeof error?.message === "string" ? error.message : `HTTP ${status}: ${fallbackText.slice(0, 200) || "(empty reply)"}`;
  const make = code !== undefined ? BY_CODE[code] : undefined;
  return make ? make(message) : new RemoteError(status, code ?? `http_${status}`, message);
}

function withMessage<E extends Error>(err: E, message: string): E {
  err.message = message;
  return err;
}
