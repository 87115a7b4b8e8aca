/**
 * The schedule catalogue: every job module with `cron`, plus `schedules`
 * from the config. Config entries are checked here, once, when the
 * registry loads, so `run` and `validate` refuse the same schedules (an
 * unknown job, a bad cron or timezone, a payload its job's schema rejects,
 * a name already taken), each problem naming the field to fix
 * (`schedules[2].cron`). The cron service runs this list; the operations
 * layer lists it with the state the store keeps.
 */

import type { ScheduleConfig } from "../config/schema.ts";
import { parsePayload, type JobEntry } from "./job-entry.ts";
import { cronProblem, timezoneProblem } from "../cron/expr.ts";

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

/** What the catalogue needs of the registry (it is built while the registry loads). */
interface ScheduleRegistry {
  list(): JobEntry[];
  has(name: string): boolean;
  get(name: string): JobEntry;
  names(): string[];
}

/** Every schedule, and one problem per config entry that cannot run (none are thrown). */
export function resolveSchedules(registry: ScheduleRegistry, configured: ScheduleConfig[]): { schedules: Schedule[]; problems: { field: string; reason: string }[] } {
  const byName = new Map<string, Schedule>();
  const problems: { field: string; reason: string }[] = [];
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
    if ("reason" in schedule) {
      problems.push(schedule);
      return;
    }
    const clash = byName.get(schedule.name);
    if (clash) {
      const field = entry.name === undefined ? `schedules[${i}]` : `schedules[${i}].name`;
      problems.push({ field, reason: `schedule name "${schedule.name}" is already used by ${clash.source}; give this entry a distinct "name"` });
      return;
    }
    byName.set(schedule.name, schedule);
  });
  return { schedules: [...byName.values()], problems };
}

function fromConfig(registry: ScheduleRegistry, entry: ScheduleConfig, where: string): Schedule | { field: string; reason: string } {
  if (!registry.has(entry.job)) {
    const known = registry.names();
    return { field: `${where}.job`, reason: `unknown job "${entry.job}"; known jobs: ${known.length ? known.join(", ") : "(none)"}` };
  }
  const job = registry.get(entry.job);
  const name = entry.name ?? entry.job;
  if (!SCHEDULE_NAME.test(name)) {
    return { field: `${where}.name`, reason: `"${name}" is not a valid schedule name; use letters, digits, '_', '.', ':', '-' (max 128)` };
  }
  const zone = timezoneProblem(entry.timezone);
  if (zone) return { field: `${where}.timezone`, reason: zone };
  const cron = cronProblem({ expression: entry.cron, timezone: entry.timezone });
  if (cron) return { field: `${where}.cron`, reason: cron };
  const payload = entry.payload ?? {};
  try {
    parsePayload(job, payload);
  } catch (err) {
    return { field: `${where}.payload`, reason: (err as Error).message };
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
