/**
 * Connections to Redis and what their failures mean to callers. Commands
 * fail fast while Redis is unreachable (no offline queue, no resend of
 * in-flight scripts, which could apply twice) so `qworker enqueue` exits 3
 * at once instead of hanging; meanwhile ioredis reconnects in the
 * background with a capped backoff, so a long-lived worker resumes by
 * itself after a Redis restart.
 */

import type { ConnectionOptions } from "node:tls";
import Redis from "ioredis";
import { QworkerError, StoreUnavailableError, toError } from "../../core/errors.ts";

const RECONNECT_MAX_MS = 2_000;

/** `tls` applies to rediss:// URLs only (e.g. `{ ca }` for a private CA). */
export function createClient(url: string, connectTimeoutMs: number, tls?: ConnectionOptions): Redis {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new StoreUnavailableError(`redis URL "${redactUrl(url)}" is not a URL; use redis://[user:password@]host:port[/db] or rediss://…`, { cause: err });
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new StoreUnavailableError(`redis URL "${redactUrl(url)}" must start with redis:// or rediss://`);
  }
  return new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: connectTimeoutMs,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), RECONNECT_MAX_MS),
    ...(parsed.protocol === "rediss:" && tls ? { tls } : {}),
  });
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = "";
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, "//***@");
  }
}

/** Resolves once `client` is ready; rejects with StoreUnavailableError after `timeoutMs`. */
export async function connectWithin(client: Redis, timeoutMs: number, url: string, lastError: () => Error | undefined): Promise<void> {
  if (client.status === "ready") return;
  if (client.status === "wait" || client.status === "end" || client.status === "close") client.connect().catch(() => {});
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(timer);
      client.off("ready", onReady);
      client.off("error", onError);
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => {
      const why = lastError();
      done(new StoreUnavailableError(`Redis at ${redactUrl(url)} is unreachable: ${why ? why.message : `no answer within ${timeoutMs} ms`}`, { cause: why }));
    }, timeoutMs);
    const onReady = () => done();
    // Retrying cannot fix credentials: fail at once.
    const onError = (err: Error) => {
      if (AUTH_FAILURE.test(err.message)) done(new StoreUnavailableError(`Redis at ${redactUrl(url)} refused the credentials: ${err.message}`, { cause: err }));
    };
    client.once("ready", onReady);
    client.on("error", onError);
  });
}

const AUTH_FAILURE = /\b(WRONGPASS|NOAUTH|NOPERM)\b|invalid (username-password|password)/;
const UNAVAILABLE_REPLY = /^(LOADING|READONLY|MASTERDOWN|BUSY|CLUSTERDOWN|TRYAGAIN|NOAUTH|WRONGPASS|NOPERM)\b/;

/** Maps anything a Redis call threw to the error callers should see. */
export function toStoreError(thrown: unknown, url: string, lastError?: Error): Error {
  if (thrown instanceof QworkerError) return thrown;
  const err = toError(thrown);
  const where = `Redis at ${redactUrl(url)}`;
  if (err.name !== "ReplyError") {
    // No reply at all: disconnected, reconnecting or never reached.
    const why = lastError && /isn't writeable|Connection is closed|MaxRetriesPerRequest/.test(err.message) ? lastError.message : err.message;
    return new StoreUnavailableError(`${where} is unreachable: ${why}`, { cause: err });
  }
  if (err.message.startsWith("OOM")) {
    return new StoreUnavailableError(
      `${where} is out of memory and refuses writes (${err.message}); raise maxmemory or free memory (qworker needs maxmemory-policy noeviction, so nothing was evicted)`,
      { cause: err },
    );
  }
  if (UNAVAILABLE_REPLY.test(err.message)) return new StoreUnavailableError(`${where} refused the command: ${err.message}`, { cause: err });
  return new Error(`${where} replied with an error: ${err.message}`, { cause: err });
}
