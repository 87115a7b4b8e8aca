/**
 * The transactional enqueue: a job stored through the app's own database
 * transaction, so it exists if and only if that transaction commits (no
 * job for a rolled-back signup, no signup without its job). Workers cannot
 * see it before the commit (MVCC), and the NOTIFY that wakes them is
 * delivered at commit too.
 *
 * The app's transaction object comes from its own driver; the statement is
 * the store's own enqueue (`enqueue_json`, functions.ts), so ids, defaults,
 * dedupe and wake-ups are identical. Accepted:
 * - a node-postgres Client or PoolClient inside BEGIN (`query(text, values)`);
 * - a porsager `postgres` TransactionSql or a Bun's SQL transaction (the
 *   argument of `sql.begin(tx => …)`; `unsafe(text, params)`).
 * Parameters are text and cast in SQL, the one form all three bind alike.
 *
 * Nothing here imports a driver (or Bun): the client loads it on Node too.
 */

import { UsageError } from "../../core/errors.ts";
import type { EnqueueResult, NewJob } from "../../core/types.ts";
import { schemaNames } from "./names.ts";
import { enqueueSql } from "./statements.ts";

/** A node-postgres Client or PoolClient, checked out and inside BEGIN. */
export interface PgClientLike {
  query(text: string, values?: any[]): Promise<{ rows: any[] }>;
}

/** A porsager `postgres` TransactionSql or a Bun's SQL transaction: the argument of `sql.begin(async (tx) => …)`. */
export interface SqlTagLike {
  unsafe(query: string, params?: any[]): PromiseLike<unknown>;
}

/** The app's transaction, from its own driver. */
export type AppTransaction = PgClientLike | SqlTagLike;

/** The JSON array enqueue_json reads: one object per job, undefined fields left out. */
export function encodeJobs(jobs: NewJob[]): string {
  return JSON.stringify(
    jobs.map((j) => ({
      id: j.id,
      name: j.name,
      queue: j.queue,
      data: j.data,
      priority: j.priority,
      max_attempts: j.maxAttempts,
      run_at: j.runAt,
      unique_key: j.uniqueKey,
      unique_ttl_ms: j.uniqueKey === undefined ? undefined : j.uniqueTtlMs,
    })),
  );
}

/** Stores `jobs` through `tx`; the schema is the qworker server's (`store.postgresSchema`). */
export async function enqueueInTransaction(tx: AppTransaction, schema: string, jobs: NewJob[], now: number): Promise<EnqueueResult[]> {
  const sql = enqueueSql(schemaNames(schema));
  const params = [encodeJobs(jobs), String(Math.round(now))];
  let rows: { id: string; deduplicated: boolean }[];
  try {
    rows = await run(tx, sql, params);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    // Undefined function or schema: this database has no (or another) qworker schema.
    if (code === "42883" || code === "3F000" || code === "42P01") {
      throw new UsageError(
        `the qworker schema "${schema}" is not in the transaction's database (${(err as Error).message}); ` +
          `start qworker once against that database to create it, or pass the server's store.postgresSchema as postgresSchema`,
        { cause: err },
      );
    }
    throw err;
  }
  return rows.map((r) => ({ id: String(r.id), deduplicated: r.deduplicated === true }));
}

async function run(tx: AppTransaction, sql: string, params: string[]): Promise<{ id: string; deduplicated: boolean }[]> {
  const t = tx as unknown as Record<string, unknown>;
  if (typeof t.unsafe === "function") {
    // A top-level `sql` (porsager or Bun's SQL) runs each statement in its own transaction: the point would be lost.
    if (typeof t.begin === "function" && typeof t.savepoint !== "function") {
      throw new UsageError("tx: pass the transaction (the argument of sql.begin(async (tx) => …)), not the sql instance itself");
    }
    return Array.from((await (tx as SqlTagLike).unsafe(sql, params)) as Iterable<{ id: string; deduplicated: boolean }>);
  }
  if (typeof t.query === "function") {
    if (typeof t.totalCount === "number" && typeof t.connect === "function") {
      throw new UsageError("tx: pass the client that ran BEGIN (const client = await pool.connect()), not the Pool: a Pool runs every query on any connection, outside your transaction");
    }
    return (await (tx as PgClientLike).query(sql, params)).rows;
  }
  throw new UsageError("tx: expected a node-postgres client inside BEGIN, or the transaction of porsager's postgres or Bun's SQL (sql.begin(async (tx) => …))");
}
