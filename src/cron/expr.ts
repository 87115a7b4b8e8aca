/**
 * Cron expressions and timezones, checked once where they are written (job
 * module or config) and then iterated by the cron service. 5 fields run on
 * the minute, 6 fields add seconds in front (cron-parser's convention).
 */

import { CronExpressionParser, type CronExpression } from "cron-parser";

export interface CronSpec {
  expression: string;
  timezone: string;
}

const MAX_CRON_LENGTH = 256;

/** Reason the expression or zone is unusable, or undefined when fine. */
export function cronProblem(spec: CronSpec): string | undefined {
  const zone = timezoneProblem(spec.timezone);
  if (zone) return zone;
  if (spec.expression.length > MAX_CRON_LENGTH) return `cron expression is ${spec.expression.length} characters; at most ${MAX_CRON_LENGTH}`;
  const fields = spec.expression.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) return `cron "${spec.expression}" has ${fields} fields; use 5 (minute hour day month weekday) or 6 (second first)`;
  try {
    CronExpressionParser.parse(spec.expression, { tz: spec.timezone, strict: false }).next();
    return undefined;
  } catch (err) {
    return `cron "${spec.expression}" is invalid: ${(err as Error).message}`;
  }
}

export function timezoneProblem(timezone: string): string | undefined {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return undefined;
  } catch {
    return `timezone "${timezone}" is not a known IANA zone (e.g. "UTC", "Europe/Berlin", "America/New_York")`;
  }
}

/** An iterator positioned at `from` (exclusive): `next()` gives the first slot after it. */
export function cronIterator(spec: CronSpec, from: number): CronExpression {
  return CronExpressionParser.parse(spec.expression, { tz: spec.timezone, currentDate: new Date(from) });
}
