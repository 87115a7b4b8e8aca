/**
 * The Store contract against a real Redis: one private redis-server for
 * this file, and a fresh key prefix per test so tests never see each
 * other's keys. It runs twice: with every key in one hash slot (the
 * default), and with the three queues spread over three queue tags (three
 * slots: the routing a Cluster deployment uses, here on one server).
 * test/redis/sentinel.test.ts and cluster.test.ts run it over those.
 */

import { afterAll, beforeAll } from "bun:test";
import { startRedisServer, type RedisServer } from "../helpers/redis-server.ts";
import { describeNeeding } from "../helpers/requirements.ts";
import { describeRedisContract, THREE_TAGS } from "./redis-contract.ts";

describeNeeding("redis-server")("redis", () => {
  let server: RedisServer;

  beforeAll(async () => {
    server = await startRedisServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  describeRedisContract("redis", () => server.url);
  describeRedisContract("redis, queues over three tags", () => server.url, { queueTags: THREE_TAGS });
});
