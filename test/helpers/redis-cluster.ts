/**
 * A private 3-master Redis Cluster for a test file: three redis-servers
 * with `--cluster-enabled yes` on free ports (and free cluster-bus ports),
 * joined by `redis-cli --cluster create`, ready when every node reports
 * cluster_state:ok. No replicas: the tests are about spreading load, not
 * failover (test/e2e/redis-sentinel.test.ts covers that).
 */

import Redis from "ioredis";
import { freePort } from "./qworker-binary.ts";
import { startRedisServer, type RedisServer } from "./redis-server.ts";
import { toolPath } from "./requirements.ts";

export interface RedisCluster {
  /** redis-cluster://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3 */
  url: string;
  nodes: RedisServer[];
  /** The port of the master that serves a hash slot. */
  ownerOf(slot: number): Promise<number>;
  /**
   * `count` queue-tag names whose slots (`{<prefix>:<tag>}`) are served by
   * different masters, as docs/redis.md tells deployments to pick them.
   */
  tagsOnDistinctMasters(prefix: string, count: number): Promise<string[]>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;

export async function startRedisCluster(): Promise<RedisCluster> {
  const cli = toolPath("redis-cli");
  if (!cli) throw new Error("redis-cli is not on PATH (apt-get install redis-tools)");
  const nodes: RedisServer[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      // The bus port would default to port + 10000, which may be taken (or past 65535): give it a free one.
      nodes.push(await startRedisServer({ args: ["--cluster-enabled", "yes", "--cluster-port", String(freePort()), "--cluster-node-timeout", "2000"] }));
    }
    const create = Bun.spawnSync([cli, "--cluster", "create", ...nodes.map((n) => `127.0.0.1:${n.port}`), "--cluster-replicas", "0", "--cluster-yes"], { stdout: "pipe", stderr: "pipe" });
    if (create.exitCode !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout.toString()}${create.stderr.toString()}`);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const states = await Promise.all(nodes.map((n) => clusterState(n.port)));
      if (states.every((s) => s === "ok")) break;
      if (Date.now() > deadline) throw new Error(`the cluster did not reach cluster_state:ok within ${READY_TIMEOUT_MS} ms: ${states.join(", ")}`);
      await Bun.sleep(100);
    }
  } catch (err) {
    for (const n of nodes) await n.stop();
    throw err;
  }
  const ownerOf = async (slot: number) => {
    const c = new Redis(nodes[0].port, "127.0.0.1");
    try {
      const ranges = (await c.call("CLUSTER", "SLOTS")) as [number, number, [string, number]][];
      const hit = ranges.find(([from, to]) => slot >= from && slot <= to);
      if (!hit) throw new Error(`no master serves slot ${slot}`);
      return hit[2][1];
    } finally {
      c.disconnect();
    }
  };
  return {
    url: `redis-cluster://${nodes.map((n) => `127.0.0.1:${n.port}`).join(",")}`,
    nodes,
    ownerOf,
    async tagsOnDistinctMasters(prefix: string, count: number) {
      const c = new Redis(nodes[0].port, "127.0.0.1");
      try {
        const picked: string[] = [];
        const owners = new Set<number>();
        for (let i = 0; picked.length < count && i < 1_000; i++) {
          const slot = Number(await c.call("CLUSTER", "KEYSLOT", `{${prefix}:t${i}}`));
          const owner = await ownerOf(slot);
          if (!owners.has(owner)) {
            owners.add(owner);
            picked.push(`t${i}`);
          }
        }
        return picked;
      } finally {
        c.disconnect();
      }
    },
    async stop() {
      for (const n of nodes) await n.stop();
    },
  };
}

async function clusterState(port: number): Promise<string> {
  const c = new Redis({ port, host: "127.0.0.1", lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  c.on("error", () => {});
  try {
    await c.connect();
    return /cluster_state:(\w+)/.exec(String(await c.call("CLUSTER", "INFO")))?.[1] ?? "?";
  } catch {
    return "unreachable";
  } finally {
    c.disconnect();
  }
}
