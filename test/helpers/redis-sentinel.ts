/**
 * A private Redis Sentinel set-up for a test file: one master, one replica
 * and three sentinels (`redis-server <conf> --sentinel`, the same binary),
 * each on a free port with its own temp dir. Ready means what a failover
 * needs: every sentinel knows the replica and the other two sentinels.
 * Waits poll with deadlines; nothing sleeps a fixed time.
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Redis from "ioredis";
import { freePort } from "./qworker-binary.ts";
import { startRedisServer, type RedisServer } from "./redis-server.ts";
import { toolPath } from "./requirements.ts";

export const MASTER_NAME = "qwmaster";

export interface SentinelSetup {
  /** redis-sentinel://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3/qwmaster */
  url: string;
  master: RedisServer;
  replica: RedisServer;
  sentinelPorts: number[];
  /** The address the sentinels currently give for the master. */
  currentMaster(): Promise<string>;
  /** Resolves once the replica has everything the master has written so far. */
  waitForReplica(): Promise<void>;
  /** SIGKILLs the master; resolves when the sentinels have promoted the replica (within `timeoutMs`). */
  killMaster(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;

export async function startSentinelSetup(): Promise<SentinelSetup> {
  const binary = toolPath("redis-server");
  if (!binary) throw new Error("redis-server is not on PATH");
  const master = await startRedisServer({ appendOnly: true });
  const replica = await startRedisServer({ appendOnly: true, args: ["--replicaof", "127.0.0.1", String(master.port)] });
  const sentinels: { proc: ReturnType<typeof Bun.spawn>; port: number; dir: string }[] = [];
  const stopAll = async () => {
    for (const s of sentinels) {
      s.proc.kill("SIGKILL");
      await s.proc.exited;
      rmSync(s.dir, { recursive: true, force: true });
    }
    await replica.stop();
    await master.stop();
  };
  try {
    for (let i = 0; i < 3; i++) {
      const dir = mkdtempSync(join(tmpdir(), "qworker-sentinel-"));
      const port = freePort();
      const conf = join(dir, "sentinel.conf");
      // Sentinel rewrites its config file as it learns the set-up, so it lives in the temp dir.
      writeFileSync(
        conf,
        [
          `port ${port}`,
          "bind 127.0.0.1",
          `dir ${dir}`,
          `logfile ${join(dir, "sentinel.log")}`,
          `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${master.port} 2`,
          `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
          `sentinel failover-timeout ${MASTER_NAME} 10000`,
          `sentinel parallel-syncs ${MASTER_NAME} 1`,
        ].join("\n") + "\n",
      );
      const proc = Bun.spawn([binary, conf, "--sentinel"], { stdout: "ignore", stderr: "ignore" });
      sentinels.push({ proc, port, dir });
      killOnExit.add(() => proc.kill("SIGKILL"));
    }
    await waitUntil(async () => {
      for (const s of sentinels) {
        const r = await ask(s.port, async (c) => [await c.call("SENTINEL", "REPLICAS", MASTER_NAME), await c.call("SENTINEL", "SENTINELS", MASTER_NAME)]);
        if (!r) return false;
        const [replicas, others] = r as [unknown[], unknown[]];
        if (replicas.length < 1 || others.length < 2) return false;
      }
      return true;
    }, READY_TIMEOUT_MS, "three sentinels that know the replica and each other");
  } catch (err) {
    await stopAll();
    throw err;
  }
  const ports = sentinels.map((s) => s.port);
  const currentMaster = async () => {
    for (const port of ports) {
      const r = (await ask(port, (c) => c.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME))) as string[] | undefined;
      if (r) return `${r[0]}:${r[1]}`;
    }
    throw new Error("no sentinel answers");
  };
  return {
    url: `redis-sentinel://${ports.map((p) => `127.0.0.1:${p}`).join(",")}/${MASTER_NAME}`,
    master,
    replica,
    sentinelPorts: ports,
    currentMaster,
    async waitForReplica() {
      const offset = (port: number, field: string) => ask(port, async (c) => Number(new RegExp(`${field}:(\\d+)`).exec(String(await c.info("replication")))?.[1] ?? -1));
      const target = (await offset(master.port, "master_repl_offset")) ?? 0;
      await waitUntil(async () => ((await offset(replica.port, "slave_repl_offset")) ?? -1) >= target, 10_000, "the replica to catch up");
    },
    async killMaster(timeoutMs = 30_000) {
      const old = `127.0.0.1:${master.port}`;
      await master.halt("SIGKILL");
      await waitUntil(async () => (await currentMaster()) === `127.0.0.1:${replica.port}`, timeoutMs, `the sentinels to promote the replica (was ${old})`);
    },
    stop: stopAll,
  };
}

async function ask<T>(port: number, fn: (c: Redis) => Promise<T>): Promise<T | undefined> {
  const c = new Redis({ port, host: "127.0.0.1", lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: 500 });
  c.on("error", () => {});
  try {
    await c.connect();
    return await fn(c);
  } catch {
    return undefined;
  } finally {
    c.disconnect();
  }
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await Bun.sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

const killOnExit = new Set<() => void>();
process.once("exit", () => {
  for (const kill of killOnExit) kill();
});
