/**
 * `new QworkerClient({ redisUrl })` against a private redis-server: the
 * RedisStore loads lazily and the direct transport round-trips. Skips when
 * redis-server is not installed, fails instead in CI (test/helpers/requirements.ts).
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { NotFoundError, QworkerClient, StoreUnavailableError, UsageError } from "../../src/client.ts";
import { startRedisServer, type RedisServer } from "../helpers/redis-server.ts";
import { describeNeeding } from "../helpers/requirements.ts";
import { within } from "../helpers/wait.ts";

describeNeeding("redis-server")("client over Redis directly", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  test("enqueue (defaults, delay, key), getJob, cancel, retry, waitFor", async () => {
    const client = new QworkerClient<{ "send-email": { to: string } }>({ redisUrl: redis.url, prefix: "client-test" });
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
    } finally {
      await client.close();
    }
  });

  test("an unreachable Redis is StoreUnavailableError, and the client stays usable for close()", async () => {
    const client = new QworkerClient({ redisUrl: "redis://127.0.0.1:1", connectTimeoutMs: 200 });
    const err = await within(client.enqueue("x").catch((e) => e), 10_000, "enqueue to an unreachable Redis");
    expect(err).toBeInstanceOf(StoreUnavailableError);
    await client.close();
  });
});
