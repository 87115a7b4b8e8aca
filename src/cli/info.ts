/**
 * `qworker info`: version, commit, platform and the resolved configuration
 * (with the admin token redacted). Starts nothing; on Redis it also asks
 * the server, briefly, for its version and maxmemory-policy (the setting
 * that decides whether Redis may evict jobs), and says so if it cannot.
 */

import type { Argv } from "yargs";
import { systemClock } from "../core/clock.ts";
import { toError } from "../core/errors.ts";
import type { Config } from "../config/schema.ts";
import { cliContext } from "./context.ts";
import { printJson } from "./output.ts";
import { gitCommit, VERSION } from "./version.ts";

export const infoCommand = {
  command: "info",
  describe: "version, commit, platform and resolved config; starts nothing",
  builder: (y: Argv) => y.option("json", { type: "boolean", describe: "print JSON (the default output is JSON too)" }),
  handler: async (argv: Record<string, unknown>) => {
    const ctx = cliContext(argv);
    const config = { ...ctx.config, admin: { ...ctx.config.admin, token: ctx.config.admin.token ? "(set)" : undefined } };
    const redis = ctx.config.store.backend === "redis" ? await redisServerInfo(ctx.config) : undefined;
    printJson({
      version: VERSION,
      commit: gitCommit(),
      bun: Bun.version,
      platform: `${process.platform}-${process.arch}`,
      executable: process.execPath,
      configFile: ctx.configFile ?? null,
      config,
      ...(redis ? { redis } : {}),
    });
  },
};

/** The Redis server's version and maxmemory-policy, or why they could not be read (info never fails on it). */
async function redisServerInfo(config: Config): Promise<Record<string, unknown>> {
  const { RedisStore, redisUrlOf } = await import("../store/redis/redis-store.ts");
  let store: InstanceType<typeof RedisStore> | undefined;
  try {
    // allowEviction: info reports the policy instead of refusing it.
    store = new RedisStore({ url: redisUrlOf(config.store), prefix: config.store.redisPrefix, clock: systemClock, allowEviction: true, connectTimeoutMs: 1_500 });
    await store.open();
    const s = store.serverSettings;
    const evicts = s.maxmemoryPolicy !== undefined && s.maxmemoryPolicy !== "noeviction";
    return {
      location: store.location,
      reachable: true,
      version: s.version,
      maxmemoryPolicy: s.maxmemoryPolicy,
      evictionAccepted: config.store.allowEviction,
      ...(evicts && !config.store.allowEviction ? { problem: "run and enqueue refuse this server: set maxmemory-policy noeviction, or pass --allow-eviction to accept losing jobs" } : {}),
    };
  } catch (err) {
    return { reachable: false, error: toError(err).message };
  } finally {
    await store?.close().catch(() => {});
  }
}
