/**
 * Reads and bounds the flow-control options of a job module (`concurrency`,
 * `rateLimit`, `group`) and of the config's `queueLimits`, and turns them
 * into what a job record carries (core/flow.ts) for one payload. The key
 * functions run here, at enqueue, next to the payload schema: stores only
 * compare strings.
 */

import { formatDuration, parseDuration } from "../core/duration.ts";
import { UsageError } from "../core/errors.ts";
import { FLOW_KEY_MAX_CHARS, FLOW_MAX_RANGE, FLOW_PER_RANGE_MS, type FlowLimit, type JobFlow } from "../core/flow.ts";
import type { JobDefinition } from "../sdk/define-job.ts";

export interface EntryFlow {
  concurrency?: { max: number; key?: (payload: any) => string };
  rateLimit?: { max: number; perMs: number; key?: (payload: any) => string };
  group?: (payload: any) => string;
}

/** A queue's own limits, from the config (no key: the whole queue). */
export interface QueueFlow {
  concurrency?: { max: number };
  rateLimit?: { max: number; perMs: number };
}

const [MIN_MAX, MAX_MAX] = FLOW_MAX_RANGE;
const [MIN_PER, MAX_PER] = FLOW_PER_RANGE_MS;

/** A bound `max` of `field`, or the reason it is not one. */
export function maxProblem(value: unknown, field: string): string | undefined {
  if (typeof value === "number" && Number.isInteger(value) && value >= MIN_MAX && value <= MAX_MAX) return undefined;
  return `${field} must be a whole number from ${MIN_MAX} to ${MAX_MAX.toLocaleString("en-US")}, got ${JSON.stringify(value)}`;
}

/** `per` in ms, or the reason it is not one in range. */
export function perOf(value: unknown, field: string): number | string {
  if (typeof value !== "number" && typeof value !== "string") return `${field} must be a duration such as "1s" or "1m", got ${JSON.stringify(value)}`;
  let ms: number;
  try {
    ms = parseDuration(value, field);
  } catch (err) {
    return (err as Error).message;
  }
  if (ms < MIN_PER || ms > MAX_PER) return `${field} must be from ${formatDuration(MIN_PER)} to ${formatDuration(MAX_PER)}, got ${JSON.stringify(value)}`;
  return ms;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** The module's flow options, checked; `reason` names the field. */
export function readEntryFlow(def: JobDefinition): EntryFlow | { reason: string } | undefined {
  const out: EntryFlow = {};
  const { concurrency, rateLimit, group } = def as unknown as Record<string, unknown>;
  if (concurrency !== undefined) {
    if (!isObject(concurrency)) return { reason: "concurrency must be an object such as { max: 3, key: (p) => p.customer }" };
    const bad = maxProblem(concurrency.max, "concurrency.max");
    if (bad) return { reason: bad };
    if (concurrency.key !== undefined && typeof concurrency.key !== "function") return { reason: "concurrency.key must be a function (payload) => string" };
    out.concurrency = { max: concurrency.max as number, key: concurrency.key as EntryFlow["group"] };
  }
  if (rateLimit !== undefined) {
    if (!isObject(rateLimit)) return { reason: 'rateLimit must be an object such as { max: 50, per: "1s" }' };
    const bad = maxProblem(rateLimit.max, "rateLimit.max");
    if (bad) return { reason: bad };
    const perMs = perOf(rateLimit.per, "rateLimit.per");
    if (typeof perMs === "string") return { reason: perMs };
    if (rateLimit.key !== undefined && typeof rateLimit.key !== "function") return { reason: "rateLimit.key must be a function (payload) => string" };
    out.rateLimit = { max: rateLimit.max as number, perMs, key: rateLimit.key as EntryFlow["group"] };
  }
  if (group !== undefined) {
    if (typeof group !== "function") return { reason: "group must be a function (payload) => string" };
    out.group = group as EntryFlow["group"];
  }
  return out.concurrency || out.rateLimit || out.group ? out : undefined;
}

/** A key function's answer, as a bounded string; throws UsageError naming the job and the option. */
function keyOf(fn: (payload: any) => string, payload: unknown, job: string, option: string): string {
  let key: string;
  try {
    key = String(fn(payload));
  } catch (err) {
    throw new UsageError(`job "${job}": ${option}(payload) threw: ${(err as Error).message}`, { issues: [{ field: "data", message: `${option}(payload) threw: ${(err as Error).message}` }] });
  }
  if (key.length === 0 || key.length > FLOW_KEY_MAX_CHARS) {
    const message = `${option}(payload) must return 1 to ${FLOW_KEY_MAX_CHARS} characters, got ${key.length}`;
    throw new UsageError(`job "${job}": ${message}`, { issues: [{ field: "data", message }] });
  }
  return key;
}

/** What a job record carries for this payload; undefined when neither the job nor its queue limits anything. */
export function flowFor(job: string, flow: EntryFlow | undefined, queue: string, queueFlow: QueueFlow | undefined, payload: unknown): JobFlow | undefined {
  const limits: FlowLimit[] = [];
  if (flow?.concurrency) {
    const c = flow.concurrency;
    limits.push({ key: c.key ? `j:${job}:${keyOf(c.key, payload, job, "concurrency.key")}` : `j:${job}`, max: c.max });
  }
  if (flow?.rateLimit) {
    const r = flow.rateLimit;
    limits.push({ key: r.key ? `j:${job}:${keyOf(r.key, payload, job, "rateLimit.key")}` : `j:${job}`, max: r.max, perMs: r.perMs });
  }
  if (queueFlow?.concurrency) limits.push({ key: `q:${queue}`, max: queueFlow.concurrency.max });
  if (queueFlow?.rateLimit) limits.push({ key: `q:${queue}`, max: queueFlow.rateLimit.max, perMs: queueFlow.rateLimit.perMs });
  const group = flow?.group && keyOf(flow.group, payload, job, "group");
  if (limits.length === 0 && group === undefined) return undefined;
  const out: JobFlow = {};
  if (limits.length) out.limits = limits;
  if (group !== undefined) out.group = group;
  return out;
}
