/**
 * The Redis store over a redis-cluster:// URL, on a real 3-master Redis
 * Cluster started by this file: the whole Store contract with every key in
 * one slot (the default) and with the queues over three tags (three slots,
 * which may sit on different masters).
 */

import { afterAll, beforeAll } from "bun:test";
import { describeRedisContract, THREE_TAGS } from "../contract/redis-contract.ts";
import { startRedisCluster, type RedisCluster } from "../helpers/redis-cluster.ts";
import { describeNeeding } from "../helpers/requirements.ts";

describeNeeding("redis-server", "redis-cli")("redis over Cluster", () => {
  let cluster: RedisCluster;

  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  describeRedisContract("redis over Cluster", () => cluster.url);
  describeRedisContract("redis over Cluster, queues over three tags", () => cluster.url, { queueTags: THREE_TAGS });
});
