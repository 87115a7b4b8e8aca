/**
 * The PostgreSQL store's connection pool (node-postgres) and what its
 * failures mean to callers.
 *
 * Why `pg`: under Bun, source and compiled, it recovered from every server
 * restart in a probe (porsager's `postgres` wedged after 6 of 35), runs
 * unchanged on Node for the client, and adds 0.23 MB to the binary. Its
 * pool reconnects by itself; it only needs `pool.on("error")`, without
 * which one restart kills the process (an idle client's error is emitted
 * on the pool).
 *
 * - Statements are unnamed by default, which PgBouncer's transaction mode
 *   accepts; `preparedStatements` names the hot ones (faster on a direct
 *   connection).
 * - int8 columns come back as numbers (epoch ms, counters: all below
 *   2^53) and json columns as raw text, parsed by rows.ts.
 * - Connection failures and the SQLSTATEs that mean "the server cannot
 *   serve now" become StoreUnavailableError (exit 3, /health 503, the pool
 *   backs off); other errors stay errors. Messages name the server without
 *   its password.
 */

import pg from "pg";
import { QworkerError, StoreUnavailableError, toError } from "../../core/errors.ts";
import { checkUrl, redactUrl } from "./url.ts";

export { redactUrl };

const INT8 = 20;
const JSON_OID = 114;
const JSONB_OID = 3802;

const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8) return (v: string) => Number(v);
    if (oid === JSON_OID || oid === JSONB_OID) return (v: string) => v;
    return pg.types.getTypeParser(oid, format as "text");
  },
};

export interface PgConnectionOptions {
  /** postgres://[user[:password]@]host[:port]/database[?…] */
  url: string;
  /** Pool size. */
  max: number;
  connectTimeoutMs: number;
  /** Name the hot statements (server-side prepared). Off for PgBouncer's transaction mode. */
  preparedStatements: boolean;
}

/** pg client settings for `url`: also what the LISTEN client of waker.ts connects with. */
export function clientConfig(url: string, connectTimeoutMs: number): pg.ClientConfig {
  checkUrl(url);
  return {
    connectionString: url,
    connectionTimeoutMillis: connectTimeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    application_name: "qworker",
    types,
  };
}

export class PgConnection {
  readonly pool: pg.Pool;
  readonly where: string;
  /** The pool's last background error (an idle client lost), for messages. */
  lastError?: Error;
  private closed = false;

  constructor(private readonly opts: PgConnectionOptions) {
    this.where = `PostgreSQL at ${redactUrl(opts.url)}`;
    this.pool = new pg.Pool({ ...clientConfig(opts.url, opts.connectTimeoutMs), max: opts.max, idleTimeoutMillis: 30_000 });
    this.pool.on("error", (err) => (this.lastError = err));
  }

  /**
   * One statement on any pooled connection. `name` makes it a named,
   * server-side prepared statement when preparedStatements is on.
   */
  async query<R = Record<string, unknown>>(what: string, text: string, values: unknown[] = [], name?: string): Promise<R[]> {
    if (this.closed) throw new StoreUnavailableError(`${this.where} is closed (${what})`);
    const config = name && this.opts.preparedStatements ? { name, text, values } : { text, values };
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await this.pool.query(config as pg.QueryConfig);
        return res.rows as R[];
      } catch (err) {
        // One statement is its own transaction: a deadlock or serialization failure rolled all of it
        // back, so running it again is safe, and usually succeeds at once (two multi-row updates
        // that met in opposite orders). Only a repeated failure reaches the caller.
        if (attempt < STATEMENT_RETRIES && RETRYABLE.has((err as { code?: unknown }).code as string)) continue;
        throw this.translate(what, err);
      }
    }
  }

  /** `fn` inside BEGIN … COMMIT on one connection; rolled back if it throws. */
  async transaction<T>(what: string, fn: (q: <R = Record<string, unknown>>(text: string, values?: unknown[]) => Promise<R[]>) => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError(`${this.where} is closed (${what})`);
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.translate(what, err);
    }
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      const out = await fn(async <R,>(text: string, values: unknown[] = []) => (await client.query(text, values)).rows as R[]);
      await client.query("COMMIT");
      return out;
    } catch (err) {
      await client.query("ROLLBACK").catch((e: unknown) => (broken = toError(e)));
      throw this.translate(what, err);
    } finally {
      // A connection whose rollback failed is in an unknown state: the pool drops it.
      client.release(broken);
    }
  }

  /** A connection of its own for `fn` (migrations take a lock on one session). */
  async session<T>(what: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.translate(what, err);
    }
    let failed: Error | undefined;
    try {
      return await fn(client);
    } catch (err) {
      failed = toError(err);
      throw this.translate(what, err);
    } finally {
      client.release(failed);
    }
  }

  translate(what: string, thrown: unknown): Error {
    return toStoreError(thrown, this.where, what, this.lastError);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end().catch(() => {});
  }
}

/** Deadlock detected, serialization failure: the statement was rolled back whole and may run again. */
const RETRYABLE = new Set(["40P01", "40001"]);
const STATEMENT_RETRIES = 3;

/**
 * SQLSTATE classes that mean the server cannot serve right now: connection
 * exceptions (08), insufficient resources (53: too many connections, disk
 * full), operator intervention (57: shutdown, restart, "starting up"),
 * system errors (58), invalid authorization (28), no such database (3D),
 * serialization failures and deadlocks (40: the same call succeeds again),
 * and a read-only server (25006, a standby after failover).
 */
const UNAVAILABLE_CLASS = /^(08|40|53|57|58|28|3D)/;
const UNAVAILABLE_CODES = new Set(["25006", "55P03"]);

/** Maps anything a pg call threw to the error callers should see. */
export function toStoreError(thrown: unknown, where: string, what: string, lastError?: Error): Error {
  if (thrown instanceof QworkerError) return thrown;
  const err = toError(thrown);
  const code = (err as { code?: unknown }).code;
  const sqlstate = typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
  if (!sqlstate) {
    // No reply from the server at all: refused, reset, timed out, DNS, or the pool gave up.
    const why = err.message || lastError?.message || String(code ?? "connection failed");
    return new StoreUnavailableError(`${where} is unreachable (${what}): ${why}`, { cause: err });
  }
  if (UNAVAILABLE_CLASS.test(sqlstate) || UNAVAILABLE_CODES.has(sqlstate)) {
    return new StoreUnavailableError(`${where} refused ${what}: ${err.message} (SQLSTATE ${sqlstate})`, { cause: err });
  }
  return new Error(`${where}: ${what} failed: ${err.message} (SQLSTATE ${sqlstate})`, { cause: err });
}
