/**
 * What a CLI command needs, built from its flags: the resolved config, the
 * loaded jobs, the store and the Operations over them. Commands ask only
 * for what they use, so `qworker status` never loads job modules.
 */

import { systemClock, type Clock } from "../core/clock.ts";
import { createLogger, type Logger } from "../core/logger.ts";
import { loadConfig } from "../config/loader.ts";
import type { Config } from "../config/schema.ts";
import { Registry } from "../registry/registry.ts";

export interface CliContext {
  config: Config;
  configFile?: string;
  clock: Clock;
  log: Logger;
}

export function cliContext(argv: Record<string, unknown>): CliContext {
  const { config, file } = loadConfig({ flags: argv });
  return { config, configFile: file, clock: systemClock, log: createLogger({ level: config.log.level, format: config.log.format }) };
}

export async function loadRegistry(ctx: CliContext, strict = true): Promise<Registry> {
  const registry = await Registry.load({ dir: ctx.config.jobs, queues: ctx.config.queues });
  return strict ? registry.assertValid() : registry;
}
