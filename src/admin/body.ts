/**
 * Reads a request body as JSON without trusting the caller about its size:
 * a declared Content-Length over the limit is refused before a byte is
 * read, and a chunked or lying body is cut off as soon as it passes the
 * limit, so a 10 MB upload never sits in memory whole.
 */

import { PayloadTooLargeError, UsageError } from "../core/errors.ts";
import { jsonTextDepth, MAX_JSON_DEPTH } from "../core/json-depth.ts";

/** A body wraps payloads in at most two levels: `[ { "data": <payload> } ]`. */
const BODY_DEPTH = MAX_JSON_DEPTH + 2;

export const DEFAULT_MAX_BODY_BYTES = 1_048_576;

export async function readJsonBody(req: Request, maxBytes: number): Promise<unknown> {
  const declared = req.headers.get("content-length");
  if (declared !== null) {
    const n = Number(declared);
    if (!/^\d+$/.test(declared.trim()) || !Number.isSafeInteger(n)) throw new UsageError(`Content-Length "${declared}" is not a byte count`);
    if (n > maxBytes) throw tooLarge(n, maxBytes);
  }
  const bytes = await readCapped(req, maxBytes);
  if (bytes.byteLength === 0) throw new UsageError("body is empty; send a JSON object such as {\"name\":\"send-email\",\"data\":{...}}");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError("body is not valid JSON: it is not UTF-8 text");
  }
  if (jsonTextDepth(text, BODY_DEPTH) > BODY_DEPTH) {
    throw new UsageError(`body nests objects or arrays more than ${BODY_DEPTH} levels deep; a payload may nest at most ${MAX_JSON_DEPTH} levels`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`body is not valid JSON: ${(err as Error).message}`);
  }
}

async function readCapped(req: Request, maxBytes: number): Promise<Uint8Array> {
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(undefined, maxBytes);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

function tooLarge(declared: number | undefined, maxBytes: number): PayloadTooLargeError {
  const size = declared === undefined ? "more than that" : `${declared} bytes`;
  return new PayloadTooLargeError(
    `body is too large: the limit is ${maxBytes} bytes and this one is ${size}; send big batches in several requests or raise admin.maxBodyBytes`,
  );
}
