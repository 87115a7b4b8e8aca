/**
 * A statement PostgreSQL rolled back for a deadlock or a serialization
 * failure is run again (it was its own transaction, so nothing of it
 * stayed); a failure that repeats, and any other error, reaches the caller.
 * The pool's query is replaced, so no server is needed.
 */

import { expect, test } from "bun:test";
import { StoreUnavailableError } from "../../src/core/errors.ts";
import { PgConnection } from "../../src/store/postgres/connection.ts";

function connectionFailing(codes: string[]): { conn: PgConnection; calls: () => number } {
  const conn = new PgConnection({ url: "postgres://127.0.0.1:1/none", max: 1, connectTimeoutMs: 1_000, preparedStatements: false });
  let calls = 0;
  (conn.pool as unknown as { query: () => Promise<unknown> }).query = async () => {
    const code = codes[calls++];
    if (code) throw Object.assign(new Error(`error ${code}`), { code });
    return { rows: [{ ok: true }] };
  };
  return { conn, calls: () => calls };
}

test("a deadlock, then a serialization failure, then success: the caller gets the rows", async () => {
  const { conn, calls } = connectionFailing(["40P01", "40001"]);
  expect(await conn.query("complete", "SELECT 1")).toEqual([{ ok: true }]);
  expect(calls()).toBe(3);
  await conn.close();
});

test("three deadlocks in a row reach the caller as a StoreUnavailableError naming the SQLSTATE", async () => {
  const { conn, calls } = connectionFailing(["40P01", "40P01", "40P01"]);
  const err = await conn.query("complete", "SELECT 1").catch((e: unknown) => e);
  expect(err).toBeInstanceOf(StoreUnavailableError);
  expect((err as Error).message).toContain("40P01");
  expect(calls()).toBe(3);
  await conn.close();
});

test("other errors are not retried", async () => {
  const { conn, calls } = connectionFailing(["23505"]);
  await expect(conn.query("enqueue", "SELECT 1")).rejects.toThrow("23505");
  expect(calls()).toBe(1);
  await conn.close();
});
