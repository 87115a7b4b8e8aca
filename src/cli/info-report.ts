/**
 * What `qworker info` prints, as one plain object: version, platform
 * (container detection included), the worker id a `run` here would take,
 * the execution modes and pool sizes, queues, store, admin address, the
 * QWORKER_* environment in effect, and the resolved config. Secrets are
 * masked everywhere (admin token, passwords in store URLs). Builds from the
 * config alone: opens no store, loads no job module, starts nothing.
 */

import { hostname } from "node:os";
import { ALL_OPTIONS } from "../config/options.ts";
import type { Config } from "../config/schema.ts";
import { platformInfo } from "../core/platform.ts";
import { redactText } from "../core/redact.ts";
import { MASK, maskUrl, qworkerEnv } from "../core/secrets.ts";
import { EXEC_MODES } from "../sdk/define-job.ts";
import { defaultHosts } from "../worker/executors/executor.ts";
import { gitCommit, VERSION } from "../core/version.ts";

export function infoReport(config: Config, configFile: string | undefined, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const w = config.worker;
  const host = hostname();
  const known = new Set(ALL_OPTIONS.map((o) => o.env));
  const all = qworkerEnv(env);
  const inEffect = Object.fromEntries(Object.entries(all).filter(([k]) => known.has(k)));
  const ignored = Object.keys(all).filter((k) => !known.has(k));
  const adminHost = config.admin.host.includes(":") ? `[${config.admin.host}]` : config.admin.host;
  return {
    version: VERSION,
    commit: gitCommit(),
    bun: Bun.version,
    platform: platformInfo(env),
    executable: process.execPath,
    configFile: configFile ?? null,
    workerId: w.processes === undefined ? `${host}-<pid>` : `${host}-<pid>-<0..${w.processes - 1}>`,
    role: w.role,
    modes: {
      default: w.mode,
      available: EXEC_MODES,
      concurrency: w.concurrency,
      threads: Math.min(w.concurrency, w.threads ?? defaultHosts("thread", w.concurrency)),
      children: Math.min(w.concurrency, w.children ?? defaultHosts("process", w.concurrency)),
      maxMemoryMb: w.maxMemoryMb ?? null,
      supervisedProcesses: w.processes ?? null,
    },
    queues: { configured: config.queues, worked: w.queues ?? config.queues },
    store:
      config.store.backend === "sqlite"
        ? { backend: "sqlite", db: config.store.db }
        : config.store.backend === "redis"
          ? { backend: "redis", url: maskUrl(config.store.redisUrl), prefix: config.store.redisPrefix }
          : config.store.backend === "postgres"
            ? { backend: "postgres", url: maskUrl(config.store.postgresUrl), schema: config.store.postgresSchema }
            : { backend: "memory", durable: false },
    admin: config.admin.enabled ? { url: `http://${adminHost}:${config.admin.port}`, auth: config.admin.token ? "bearer token" : "none" } : { enabled: false },
    env: inEffect,
    ...(ignored.length ? { envNotRead: ignored } : {}),
    // Any other URL the config holds (a store added later) loses its password too.
    config: JSON.parse(redactText(JSON.stringify(maskedConfig(config)))),
  };
}

function maskedConfig(config: Config): Config {
  return {
    ...config,
    store: {
      ...config.store,
      redisUrl: maskUrl(config.store.redisUrl),
      postgresUrl: maskUrl(config.store.postgresUrl),
      ...(config.store.postgresListenUrl ? { postgresListenUrl: maskUrl(config.store.postgresListenUrl) } : {}),
    },
    admin: { ...config.admin, token: config.admin.token ? MASK : undefined },
  };
}
