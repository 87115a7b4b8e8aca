/**
 * `qworker info`: version, platform, worker id, modes, queues, store,
 * admin address, the QWORKER_* env in effect and the resolved config, with
 * secrets masked (info-report.ts). Starts nothing; on Redis it also asks
 * the server, briefly, for its version and maxmemory-policy (the setting
 * that decides whether Redis may evict jobs), and says so if it cannot.
 */

import type { Argv } from "yargs";
import { systemClock } from "../core/clock.ts";
import { toError } from "../core/errors.ts";
import { redactText } from "../core/redact.ts";
import type { Config } from "../config/schema.ts";
import { cliContext } from "./context.ts";
import { infoReport } from "./info-report.ts";
import { printJson } from "./output.ts";
import { addRunOptions } from "./shared-options.ts";

export const infoCommand = {
  command: "info",
  describe: "version, commit, platform, modes, store and resolved config (secrets masked); starts nothing",
  // The run options too, so `info --mode thread --processes 4` shows what that `run` would do.
  builder: (y: Argv) => addRunOptions(y).option("json", { type: "boolean", describe: "print JSON (the default output is JSON too)" }),
  handler: async (argv: Record<string, unknown>) => {
    const ctx = cliContext(argv);
    const redis = ctx.config.store.backend === "redis" ? await redisServerInfo(ctx.config) : undefined;
    printJson({ ...infoReport(ctx.config, ctx.configFile), ...(redis ? { redis } : {}) });
  },
};

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
    // A driver's message may quote the URL it was given.
    return { reachable: false, error: redactText(toError(err).message) };
  } finally {
    await store?.close().catch(() => {});
  }
}
