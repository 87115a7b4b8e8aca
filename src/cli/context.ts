/**
 * What a CLI command needs, built from its flags: the resolved config, the
 * loaded jobs, and the Operations to run. Commands ask only for what they
 * use, so `qworker status` never loads job modules. Operations open the
 * store directly for sqlite and redis (no server needed), and go through
 * the running server's admin API for the memory store, whose jobs live in
 * that process.
 */

import { systemClock, type Clock } from "../core/clock.ts";
import { createLogger, type Logger } from "../core/logger.ts";
import { secretsIn } from "../core/redact.ts";
import { loadConfig } from "../config/loader.ts";
import type { Config } from "../config/schema.ts";
import { HttpOperations } from "../ops/http.ts";
import { LocalOperations } from "../ops/local.ts";
import type { Operations } from "../ops/operations.ts";
import { Registry } from "../registry/registry.ts";
import { openStore, type StoreOpenOptions } from "../store/open-store.ts";

export interface CliContext {
  config: Config;
  configFile?: string;
  /** From the config loader (a secret on the command line); `run` logs them. */
  warnings: string[];
  clock: Clock;
  log: Logger;
}

export function cliContext(argv: Record<string, unknown>): CliContext {
  const { config, file, warnings } = loadConfig({ flags: argv });
  const secrets = secretsIn(config, config.admin.token);
  return { config, configFile: file, warnings, clock: systemClock, log: createLogger({ level: config.log.level, format: config.log.format, secrets }) };
}

/** The job modules and schedules; `strict` throws JobLoadError on any problem (what `run` and `enqueue` need). */
export async function loadRegistry(ctx: CliContext, strict = true): Promise<Registry> {
  const registry = await Registry.load({ dir: ctx.config.jobs, queues: ctx.config.queues, queueLimits: ctx.config.queueLimits, schedules: ctx.config.schedules, configFile: ctx.configFile, loadTimeoutMs: ctx.config.jobLoadTimeout });
  return strict ? registry.assertValid() : registry;
}

/**
 * Operations for this command. `registry` is needed to enqueue (payload
 * validation) and to list schedules; without it the configured queues are
 * still known.
 */
export async function openOperations(ctx: CliContext, registry?: Registry, opts: StoreOpenOptions = {}): Promise<Operations> {
  const { config } = ctx;
  if (config.store.backend === "memory") {
    const host = config.admin.host === "0.0.0.0" || config.admin.host === "::" ? "127.0.0.1" : config.admin.host;
    return new HttpOperations({ url: `http://${host.includes(":") ? `[${host}]` : host}:${config.admin.port}`, token: config.admin.token, requestTimeoutMs: 10_000 });
  }
  const store = await openStore(config, ctx.clock, opts);
  return new LocalOperations({ store, clock: ctx.clock, registry: registry ?? Registry.empty({ dir: config.jobs, queues: config.queues, queueLimits: config.queueLimits }), ownsStore: true, limits: config.limits });
}

/**
 * Runs `fn` with operations and always closes them. For commands that read
 * or manage what is there (never enqueue): a missing SQLite file is "no
 * store at PATH" (exit 3), not a new empty store at a mistyped --db.
 */
export async function withOperations<T>(ctx: CliContext, fn: (ops: Operations) => Promise<T>, registry?: Registry, opts: StoreOpenOptions = { create: false }): Promise<T> {
  const ops = await openOperations(ctx, registry, opts);
  try {
    return await fn(ops);
  } finally {
    await ops.close();
  }
}
