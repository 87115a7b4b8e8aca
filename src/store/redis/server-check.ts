/**
 * What qworker needs from the Redis server, checked when a store opens:
 * - `maxmemory-policy noeviction`. Any other policy lets Redis delete keys
 *   under memory pressure, and with them jobs that were acknowledged, while
 *   the counts still show them. So a store refuses to open on such a
 *   server (exit 2) unless the user accepts that loss (`allowEviction`).
 *   The policy is read from INFO memory, which managed Redis services
 *   allow where they forbid CONFIG.
 * - Redis 6.2 or newer (LPOP with a count); 7.0 or newer for script flags,
 *   which keep claims from running when Redis is out of memory.
 * - Persistence (AOF or RDB): only a warning, as some run Redis as a cache
 *   of their own choosing.
 */

import { Cluster } from "ioredis";
import { ConfigError } from "../../core/errors.ts";
import type { Client } from "./scripts.ts";

export interface ServerSettings {
  version?: string;
  /** maxmemory-policy, as INFO memory reports it. */
  maxmemoryPolicy?: string;
  /** Bytes; 0 = no limit. */
  maxmemory?: number;
  usedMemory?: number;
  /** appendonly yes/no; undefined when it could not be read. */
  aof?: boolean;
  /** Whether RDB snapshots are configured (CONFIG GET save); undefined when CONFIG is forbidden. */
  rdb?: boolean;
}

function field(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*?)\\r?$`, "m").exec(info)?.[1];
}

/** The settings of one server (a Cluster: of each master; the first one that differs wins). */
export async function readServerSettings(client: Client): Promise<ServerSettings> {
  const nodes: Client[] = client instanceof Cluster ? client.nodes("master") : [client];
  let settings: ServerSettings = {};
  for (const node of nodes) {
    const s = await readOne(node);
    if (settings.maxmemoryPolicy === undefined || s.maxmemoryPolicy !== "noeviction") settings = s;
  }
  return settings;
}

async function readOne(client: Client): Promise<ServerSettings> {
  const info = String(await client.info());
  const settings: ServerSettings = {
    version: field(info, "redis_version"),
    maxmemoryPolicy: field(info, "maxmemory_policy"),
    maxmemory: Number(field(info, "maxmemory") ?? 0),
    usedMemory: Number(field(info, "used_memory") ?? 0),
  };
  const aof = field(info, "aof_enabled");
  if (aof !== undefined) settings.aof = aof === "1";
  try {
    const [, save] = (await (client as { config(op: "GET", key: string): Promise<unknown> }).config("GET", "save")) as string[];
    settings.rdb = Boolean(save);
  } catch {
    // CONFIG is often forbidden on managed Redis; the persistence warning is then skipped.
  }
  return settings;
}

export function majorVersion(settings: ServerSettings): number | undefined {
  const major = /^(\d+)\.(\d+)/.exec(settings.version ?? "");
  return major ? Number(major[1]) + Number(major[2]) / 100 : undefined;
}

/** Refuses a server that may evict jobs, unless allowed. */
export function assertNoEviction(settings: ServerSettings, where: string, allowEviction: boolean): void {
  const policy = settings.maxmemoryPolicy;
  if (policy === undefined || policy === "noeviction" || allowEviction) return;
  throw new ConfigError(
    `${where} has maxmemory-policy "${policy}": under memory pressure it deletes keys, and with them jobs it already acknowledged. ` +
      `Set maxmemory-policy to noeviction (CONFIG SET maxmemory-policy noeviction, and in redis.conf), ` +
      `or accept losing jobs with --allow-eviction (store.allowEviction: true, QWORKER_ALLOW_EVICTION=1)`,
  );
}

export function assertSupported(settings: ServerSettings, where: string): void {
  const v = majorVersion(settings);
  if (v !== undefined && v < 6.02) throw new ConfigError(`${where} runs Redis ${settings.version}; qworker needs Redis 6.2 or newer (7.0 or newer recommended)`);
}

/** Warnings for `run` to log: settings under which jobs can be lost or run twice. */
export function serverWarnings(settings: ServerSettings): string[] {
  const warnings: string[] = [];
  if (settings.maxmemoryPolicy !== undefined && settings.maxmemoryPolicy !== "noeviction") {
    warnings.push(`Redis maxmemory-policy is "${settings.maxmemoryPolicy}" (allowed by allowEviction): Redis may evict job keys under memory pressure and lose jobs`);
  }
  if (settings.aof === false && settings.rdb === false) warnings.push("Redis has neither AOF (appendonly) nor RDB snapshots (save) enabled: every job is lost when Redis restarts");
  const v = majorVersion(settings);
  if (v !== undefined && v < 7) {
    warnings.push(`Redis ${settings.version} has no script flags (7.0+): when it is out of memory, a claim may still run a job whose outcome cannot be written`);
  }
  return warnings;
}
