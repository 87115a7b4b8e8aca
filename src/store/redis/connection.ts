/**
 * Connections to Redis and what their failures mean to callers. Three
 * kinds of URL:
 *   redis://[user:password@]host:port[/db]          one server (rediss:// for TLS)
 *   redis-sentinel://[user:password@]h1:26379,h2:26379/<master>[?db=N&sentinelPassword=…]
 *                                                   a Sentinel-watched master (rediss-sentinel:// for TLS)
 *   redis-cluster://[user:password@]h1:7000,h2:7001 a Redis Cluster (rediss-cluster:// for TLS)
 * The user and password are Redis's (ACL); Sentinel's own password, if it
 * has one, is `sentinelPassword`.
 *
 * Commands fail fast while Redis is unreachable (no offline queue, no resend
 * of in-flight scripts, which could apply twice) so `qworker enqueue` exits 3
 * at once instead of hanging; meanwhile ioredis reconnects in the background
 * with a capped backoff (asking the sentinels for the current master, or the
 * cluster for its slots), so a long-lived worker resumes by itself after a
 * restart or a failover.
 */

import type { ConnectionOptions } from "node:tls";
import Redis, { Cluster, type RedisOptions } from "ioredis";
import { ConfigError, QworkerError, StoreUnavailableError, toError } from "../../core/errors.ts";
import type { Client } from "./scripts.ts";

const RECONNECT_MAX_MS = 2_000;

interface HostPort {
  host: string;
  port: number;
}

export type RedisTarget =
  | { kind: "single"; url: string; tls: boolean }
  | { kind: "sentinel"; sentinels: HostPort[]; name: string; username?: string; password?: string; db: number; sentinelPassword?: string; tls: boolean }
  | { kind: "cluster"; nodes: HostPort[]; username?: string; password?: string; tls: boolean };

const MULTI_HOST = /^(rediss?)-(sentinel|cluster):\/\/(?:([^@/]*)@)?([^/?#]+)(?:\/([^?#]*))?(?:\?([^#]*))?$/;

/** Parses any of the three URL forms; a bad URL is a StoreUnavailableError (exit 3) naming the forms. */
export function parseRedisUrl(url: string): RedisTarget {
  const forms = "use redis://[user:password@]host:port[/db], rediss://…, redis-sentinel://host:port[,host:port…]/<master> or redis-cluster://host:port[,host:port…]";
  const multi = MULTI_HOST.exec(url);
  if (multi) {
    const [, scheme, kind, userinfo, hosts, path, query] = multi;
    const params = new URLSearchParams(query ?? "");
    const nodes = hosts.split(",").map((h) => parseHostPort(h, kind === "sentinel" ? 26379 : 6379, url, forms));
    const [username, password] = parseUserinfo(userinfo);
    const tls = scheme === "rediss";
    if (kind === "cluster") return { kind: "cluster", nodes, username, password, tls };
    const name = decodeURIComponent(path ?? "");
    if (!name) throw new StoreUnavailableError(`redis URL "${redactUrl(url)}" names no master: put the Sentinel master name after the hosts (redis-sentinel://host:26379/mymaster)`);
    const db = Number(params.get("db") ?? 0);
    if (!Number.isInteger(db) || db < 0) throw new StoreUnavailableError(`redis URL "${redactUrl(url)}": db must be a whole number`);
    return { kind: "sentinel", sentinels: nodes, name, username, password, db, sentinelPassword: params.get("sentinelPassword") ?? undefined, tls };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new StoreUnavailableError(`redis URL "${redactUrl(url)}" is not a URL; ${forms}`, { cause: err });
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") throw new StoreUnavailableError(`redis URL "${redactUrl(url)}" has an unknown scheme; ${forms}`);
  return { kind: "single", url, tls: parsed.protocol === "rediss:" };
}

function parseHostPort(text: string, defaultPort: number, url: string, forms: string): HostPort {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(text.trim());
  if (!m) throw new StoreUnavailableError(`redis URL "${redactUrl(url)}": "${text}" is not host:port; ${forms}`);
  return { host: m[1].replace(/^\[(.*)\]$/, "$1"), port: m[2] ? Number(m[2]) : defaultPort };
}

function parseUserinfo(userinfo: string | undefined): [string | undefined, string | undefined] {
  if (!userinfo) return [undefined, undefined];
  const sep = userinfo.indexOf(":");
  if (sep < 0) return [undefined, decodeURIComponent(userinfo)];
  const user = decodeURIComponent(userinfo.slice(0, sep));
  return [user || undefined, decodeURIComponent(userinfo.slice(sep + 1))];
}

/**
 * The URL for the configured store: `redisUrl`, or, with `sentinels` and
 * `sentinelMaster`, a redis-sentinel:// URL with redisUrl's user, password
 * and TLS.
 */
export function redisUrlOf(s: { redisUrl: string; sentinels?: string[]; sentinelMaster?: string }): string {
  if (!s.sentinels && !s.sentinelMaster) return s.redisUrl;
  if (!s.sentinels || !s.sentinelMaster) throw new ConfigError("store.sentinels and store.sentinelMaster go together: give both (the sentinels' host:port list and the master name they watch), or neither");
  let auth = "";
  let tls = false;
  try {
    const u = new URL(s.redisUrl);
    if (u.username || u.password) auth = `${u.username}:${u.password}@`;
    tls = u.protocol === "rediss:";
  } catch {
    // redisUrl is only read for credentials here; a bad one is reported when it is the URL used.
  }
  return `${tls ? "rediss" : "redis"}-sentinel://${auth}${s.sentinels.join(",")}/${encodeURIComponent(s.sentinelMaster)}`;
}

export interface ClientOptions {
  connectTimeoutMs: number;
  /** TLS options for the TLS schemes, e.g. `{ ca }` when the server's CA is private. */
  tls?: ConnectionOptions;
}

const retryStrategy = (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 6), RECONNECT_MAX_MS);

export function createClient(target: RedisTarget, opts: ClientOptions): Client {
  const common: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: opts.connectTimeoutMs,
    retryStrategy,
    // A demoted master answers READONLY: reconnect (the command did not run, so nothing is resent).
    reconnectOnError: (err) => (/^READONLY\b/.test(err.message) ? 1 : false),
  };
  const tls = target.tls ? { tls: opts.tls ?? {} } : {};
  if (target.kind === "single") return new Redis(target.url, { ...common, ...tls });
  if (target.kind === "sentinel") {
    return new Redis({
      ...common,
      ...tls,
      sentinels: target.sentinels,
      name: target.name,
      username: target.username,
      password: target.password,
      db: target.db,
      sentinelPassword: target.sentinelPassword,
      enableTLSForSentinelMode: target.tls,
      sentinelRetryStrategy: retryStrategy,
      // Subscribes to the sentinels' +switch-master, so a failover is noticed at once, not at the next error.
      failoverDetector: true,
    });
  }
  return new Cluster(target.nodes, {
    lazyConnect: true,
    enableOfflineQueue: false,
    clusterRetryStrategy: retryStrategy,
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    maxRedirections: 16,
    scaleReads: "master",
    redisOptions: { ...common, ...tls, username: target.username, password: target.password },
  });
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  if (MULTI_HOST.test(url)) return url.replace(/\/\/([^@/:]*):[^@/]*@/, "//$1:***@").replace(/\/\/([^@/:]+)@/, "//***@");
  try {
    const u = new URL(url);
    u.password = "";
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, "//***@");
  }
}

/** Resolves once `client` is ready; rejects with StoreUnavailableError after `timeoutMs`. */
export async function connectWithin(client: Client, timeoutMs: number, url: string, lastError: () => Error | undefined): Promise<void> {
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
const UNAVAILABLE_REPLY = /^(LOADING|READONLY|MASTERDOWN|BUSY|CLUSTERDOWN|TRYAGAIN|NOAUTH|WRONGPASS|NOPERM|NOREPLICAS)\b/;

/** Whether a reply error is Redis refusing a write for lack of memory (maxmemory reached, noeviction). */
export function isOutOfMemory(err: unknown): boolean {
  const e = err as { message?: string; cause?: unknown } | undefined;
  return /\bOOM\b/.test(e?.message ?? "") || (e?.cause !== undefined && e.cause !== err && isOutOfMemory(e.cause));
}

/** Maps anything a Redis call threw to the error callers should see. */
export function toStoreError(thrown: unknown, url: string, lastError?: Error): Error {
  if (thrown instanceof QworkerError) return thrown;
  const err = toError(thrown);
  const where = `Redis at ${redactUrl(url)}`;
  if (err.name !== "ReplyError") {
    // No reply at all: disconnected, reconnecting, never reached, or a failover in progress.
    const why = lastError && /isn't writeable|Connection is closed|MaxRetriesPerRequest|Cluster isn't ready/.test(err.message) ? lastError.message : err.message;
    return new StoreUnavailableError(`${where} is unreachable: ${why}`, { cause: err });
  }
  if (isOutOfMemory(err)) {
    return new StoreUnavailableError(
      `${where} is out of memory and refuses writes (${err.message}); raise maxmemory or free memory (qworker needs maxmemory-policy noeviction, so nothing was evicted)`,
      { cause: err },
    );
  }
  if (UNAVAILABLE_REPLY.test(err.message)) return new StoreUnavailableError(`${where} refused the command: ${err.message}`, { cause: err });
  return new Error(`${where} replied with an error: ${err.message}`, { cause: err });
}
