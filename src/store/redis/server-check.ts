/**
 * Startup warnings about the Redis server qworker runs on: settings under
 * which jobs can silently disappear. `qworker run` logs them; nothing here
 * refuses to start, because managed Redis often forbids reading the config.
 */

import type Redis from "ioredis";
import { toError } from "../../core/errors.ts";

export async function checkServerConfig(client: Redis): Promise<string[]> {
  const warnings: string[] = [];
  try {
    const [, policy] = (await client.config("GET", "maxmemory-policy")) as string[];
    if (policy !== "noeviction") {
      warnings.push(`Redis maxmemory-policy is "${policy}": Redis may evict job keys under memory pressure and lose jobs; set it to "noeviction"`);
    }
    const [, aof] = (await client.config("GET", "appendonly")) as string[];
    const [, save] = (await client.config("GET", "save")) as string[];
    if (aof !== "yes" && !save) warnings.push("Redis has neither AOF (appendonly) nor RDB snapshots (save) enabled: every job is lost when Redis restarts");
  } catch (err) {
    warnings.push(`could not read Redis config (${toError(err).message}); make sure maxmemory-policy is "noeviction" or jobs may be evicted`);
  }
  try {
    const info = await client.info("server");
    const major = /redis_version:(\d+)\./.exec(info)?.[1];
    if (major && Number(major) < 5) warnings.push(`Redis ${major}.x is too old: qworker needs Redis 5 or newer`);
  } catch {
    // INFO may be forbidden by an ACL; the config warnings above are the important ones.
  }
  return warnings;
}
