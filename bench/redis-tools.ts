/**
 * Redis chores for the benchmark, done the same way for qworker and BullMQ:
 * wipe the private server between systems and read `used_memory`, so the
 * bytes-per-job figures come from identical procedures.
 */

import Redis from "ioredis";

export async function withRedis<T>(url: string, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  await r.connect();
  try {
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

/** Synchronous FLUSHALL: memory is released before this returns (Lua script cache kept). */
export function flushRedis(url: string): Promise<void> {
  return withRedis(url, async (r) => {
    await r.flushall("SYNC");
  });
}

export function usedMemory(url: string): Promise<number> {
  return withRedis(url, async (r) => {
    const m = /^used_memory:(\d+)/m.exec(await r.info("memory"));
    if (!m) throw new Error("INFO memory has no used_memory");
    return Number(m[1]);
  });
}

/** CPU time redis-server has used (user + sys), ms. */
export function redisCpuMs(url: string): Promise<number> {
  return withRedis(url, async (r) => {
    const info = await r.info("cpu");
    const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(info)?.[1] ?? Number.NaN);
    return (field("used_cpu_user") + field("used_cpu_sys")) * 1000;
  });
}

export function redisVersion(url: string): Promise<string> {
  return withRedis(url, async (r) => /^redis_version:(\S+)/m.exec(await r.info("server"))?.[1] ?? "?");
}

/**
 * Bytes per waiting job: `warmUp` (loads scripts, creates per-queue keys),
 * flush, read used_memory, `fill` N jobs, read again.
 */
export async function bytesPerJob(url: string, n: number, warmUp: () => Promise<void>, fill: () => Promise<void>): Promise<number> {
  await warmUp();
  await flushRedis(url);
  const before = await usedMemory(url);
  await fill();
  const after = await usedMemory(url);
  return (after - before) / n;
}

/**
 * The Redis a bench runs against: `--redis-url` as given, else a private
 * redis-server started for the run (and `stop` to end it).
 */
export async function benchRedis(url: string | undefined): Promise<{ url: string; stop?: () => Promise<void> }> {
  if (url) return { url };
  const { startRedisServer } = await import("../test/helpers/redis-server.ts");
  const server = await startRedisServer();
  return { url: server.url, stop: () => server.stop() };
}
