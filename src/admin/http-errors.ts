/**
 * How the admin API says "no": every error leaves as
 * `{ "error": { "code", "message" } }` with the status the typed error
 * carries (src/core/errors.ts), so the CLI, the client and curl users see
 * the same codes. Errors only HTTP knows (wrong method, forbidden origin)
 * live here as HttpError.
 */

import { z } from "zod";
import { PayloadTooLargeError, QworkerError, toError, type FieldIssue } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";

/** Codes beyond src/core/errors.ts that only the HTTP edge produces. */
export type HttpOnlyCode = "method_not_allowed" | "forbidden" | "read_only" | "unavailable";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export interface ErrorBody {
  error: { code: string; message: string; issues?: FieldIssue[] };
}

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

export function errorResponse(status: number, code: string, message: string, headers: Record<string, string> = {}, issues?: FieldIssue[]): Response {
  const body: ErrorBody = { error: issues ? { code, message, issues } : { code, message } };
  return jsonResponse(body, status, headers);
}

/** Maps anything a handler threw to a JSON error response; logs what is the server's fault. */
export function responseForError(thrown: unknown, log: Logger, where: { method: string; path: string }): Response {
  if (thrown instanceof HttpError) return errorResponse(thrown.status, thrown.code, thrown.message, thrown.headers);
  if (thrown instanceof z.ZodError) return errorResponse(400, "usage", describeZodError(thrown));
  if (thrown instanceof PayloadTooLargeError) {
    // The rest of the body was never read: close the connection rather than leave it mid-upload.
    return errorResponse(thrown.status, thrown.code, thrown.message, { connection: "close" });
  }
  if (thrown instanceof QworkerError) {
    if (thrown.status >= 500) log.error("admin request failed", { ...where, code: thrown.code, err: thrown });
    return errorResponse(thrown.status, thrown.code, thrown.message, {}, thrown.issues);
  }
  const err = toError(thrown);
  log.error("admin request crashed", { ...where, err });
  return errorResponse(500, "internal", "internal error while handling the request; the server log has the details");
}

/** One line naming each bad field: `limit: must be ...; state: must be one of ...`. */
export function describeZodError(err: z.ZodError, what = "request"): string {
  return err.issues
    .map((i) => {
      if (i.code === "unrecognized_keys") return `unknown ${what === "query" ? "query parameter(s)" : "field(s)"} ${i.keys.join(", ")}`;
      return `${i.path.length ? i.path.map(String).join(".") : what}: ${i.message}`;
    })
    .join("; ");
}
