/**
 * `new QworkerClient({ postgresUrl })` against a fresh database on the
 * machine's PostgreSQL: the PostgresStore loads lazily, creates its schema
 * and the direct transport round-trips. Skips when PostgreSQL is not
 * installed, fails instead in CI (test/helpers/requirements.ts).
 */

import { afterAll, beforeAll, expect, test } from "bun:test";
import { NotFoundError, QworkerClient, StoreUnavailableError, UsageError } from "../../src/client.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres.ts";
import { describeNeeding } from "../helpers/requirements.ts";
import { within } from "../helpers/wait.ts";

describeNeeding("postgres")("client over PostgreSQL directly", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase("client");
  });
  afterAll(async () => {
    await db?.drop();
  });

  test("enqueue (defaults, delay, key), getJob, cancel, retry, waitFor, in the schema given", async () => {
    const client = new QworkerClient<{ "send-email": { to: string } }>({ postgresUrl: db.url, postgresSchema: "client_test" });
    try {
      const a = await client.enqueue("send-email", { to: "a@b.co" }, { in: 60, key: "a" });
      expect(await client.getJob(a.id)).toMatchObject({ name: "send-email", queue: "default", maxAttempts: 3, state: "delayed", uniqueKey: "a", data: { to: "a@b.co" } });
      expect(await client.enqueue("send-email", { to: "x@y.z" }, { key: "a" })).toEqual({ id: a.id, deduplicated: true });
      expect(await client.getJob("nope").catch((e) => e)).toBeInstanceOf(NotFoundError);
      const bad = await client.enqueueMany([{ name: "send-email", data: { to: "b" } }, { name: "send-email", data: { to: "c" }, priority: -1 }]).catch((e) => e);
      expect(bad).toBeInstanceOf(UsageError);
      expect((await client.cancel(a.id)).state).toBe("cancelled");
      expect((await within(client.waitFor(a.id, { timeoutMs: 5_000 }), 10_000, "waitFor of the cancelled job")).state).toBe("cancelled");
      expect((await client.retry(a.id)).state).toBe("waiting");
      expect(await db.query("SELECT count(*)::int AS n FROM client_test.jobs")).toEqual([{ n: 1 }]);
    } finally {
      await client.close();
    }
  });

  test("an unreachable server is StoreUnavailableError naming it without the password, and the client stays usable for close()", async () => {
    const client = new QworkerClient({ postgresUrl: "postgres://app:hunter2@127.0.0.1:1/app", connectTimeoutMs: 500 });
    const err = await within(client.enqueue("x").catch((e) => e), 10_000, "enqueue to an unreachable server");
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(err.message).toContain("127.0.0.1:1");
    expect(err.message).not.toContain("hunter2");
    await client.close();
  });

  test("a client made for { tx } only refuses calls that need its own connection", async () => {
    const client = new QworkerClient({ postgresSchema: "qworker" });
    expect(await client.getJob("1").catch((e) => e)).toBeInstanceOf(UsageError);
    await client.close();
  });
});
