/**
 * The schedule list the cron service runs: every job module with `cron`,
 * plus `schedules` from the config. Config entries are checked here, once,
 * at construction, so `run` and `validate` refuse a schedule that names an
 * unknown job, a bad cron or timezone, a payload its job's schema rejects,
 * or a name already taken, and the error names the field to fix
 * (`schedules[2].cron`).
 */

import type { ScheduleConfig } from "../config/schema.ts";
import { ConfigError } from "../core/errors.ts";
import { parsePayload, type JobEntry } from "../registry/job-entry.ts";
import type { Registry } from "../registry/registry.ts";
import { cronProblem, timezoneProblem } from "./cron-expr.ts";

export interface Schedule {
  name: string;
  /** The job it enqueues. */
  job: JobEntry;
  cron: string;
  timezone: string;
  /** As written (checked against the job's schema); the worker parses it again when the job runs. */
  payload: unknown;
  enabled: boolean;
  overlap: "skip" | "allow";
  catchUpMs: number;
  /** Where it was declared, for messages: the job file or `schedules[i]`. */
  source: string;
}

/** Schedule names end up in job ids (`cron:<name>:<slotMs>`), so they follow the job-name rules. */
const SCHEDULE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

type ScheduleRegistry = Pick<Registry, "list" | "has" | "get" | "names">;

export function resolveSchedules(registry: ScheduleRegistry, configured: ScheduleConfig[]): Schedule[] {
  const byName = new Map<string, Schedule>();
  for (const job of registry.list()) {
    if (!job.cron) continue;
    byName.set(job.name, {
      name: job.name,
      job,
      cron: job.cron.expression,
      timezone: job.cron.timezone,
      payload: job.cron.payload,
      enabled: true,
      overlap: job.cron.overlap,
      catchUpMs: 0,
      source: job.file,
    });
  }
  configured.forEach((entry, i) => {
    const schedule = fromConfig(registry, entry, `schedules[${i}]`);
    const clash = byName.get(schedule.name);
    if (clash) {
      const field = entry.name === undefined ? `schedules[${i}]` : `schedules[${i}].name`;
      throw new ConfigError(
        `${field}: schedule name "${schedule.name}" is already used by ${clash.source}; give this entry a distinct "name"`,
      );
    }
    byName.set(schedule.name, schedule);
  });
  return [...byName.values()];
}

function fromConfig(registry: ScheduleRegistry, entry: ScheduleConfig, where: string): Schedule {
  if (!registry.has(entry.job)) {
    const known = registry.names();
    throw new ConfigError(`${where}.job: unknown job "${entry.job}"; known jobs: ${known.length ? known.join(", ") : "(none)"}`);
  }
  const job = registry.get(entry.job);
  const name = entry.name ?? entry.job;
  if (!SCHEDULE_NAME.test(name)) {
    throw new ConfigError(`${where}.name: "${name}" is not a valid schedule name; use letters, digits, '_', '.', ':', '-' (max 128)`);
  }
  const zone = timezoneProblem(entry.timezone);
  if (zone) throw new ConfigError(`${where}.timezone: ${zone}`);
  const cron = cronProblem({ expression: entry.cron, timezone: entry.timezone });
  if (cron) throw new ConfigError(`${where}.cron: ${cron}`);
  const payload = entry.payload ?? {};
  try {
    parsePayload(job, payload);
  } catch (err) {
    throw new ConfigError(`${where}.payload: ${(err as Error).message}`, { cause: err });
  }
  return {
    name,
    job,
    cron: entry.cron,
    timezone: entry.timezone,
    payload,
    enabled: entry.enabled,
    overlap: entry.overlap,
    catchUpMs: entry.catchUp,
    source: where,
  };
}
