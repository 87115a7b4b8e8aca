/**
 * One enqueue request, whichever edge it came from (CLI flags, HTTP body,
 * client call, `ctx.enqueue`): validated with zod, checked against the
 * job's schema, bounded, and turned into the store's NewJob. Errors carry
 * their problems as data (`issues`, with the body's field names), so each
 * edge words them for its caller (`--in` on the CLI, a line number in a
 * --jsonl file) without parsing a message.
 */

import { z } from "zod";
import { issuesMessage, UsageError, ValidationError, type FieldIssue } from "../core/errors.ts";
import { MAX_JSON_DEPTH, valueDepth } from "../core/json-depth.ts";
import { DEFAULT_LIMITS, formatBytes, utf8Bytes, type Limits } from "../core/limits.ts";
import type { NewJob } from "../core/types.ts";
import { DEFAULT_ATTEMPTS, DEFAULT_UNIQUE_TTL_MS, MAX_ATTEMPTS, MAX_PRIORITY, parsePayload } from "./job-entry.ts";
import { flowFor } from "./flow-options.ts";
import type { Registry } from "./registry.ts";

/** Nothing is scheduled further ahead than this: a typo like `--in 1e300` is refused, not stored as the year 10^290. */
export const MAX_SCHEDULE_AHEAD_MS = 10 * 365 * 86_400_000;
const AHEAD_TEXT = "10 years";

export const enqueueRequestSchema = z
  .object({
    name: z.string().min(1, "name the job to enqueue").max(128, "job names have at most 128 characters"),
    data: z.unknown().optional(),
    in: z
      .number({ error: "must be a number of seconds" })
      .finite("must be a finite number of seconds")
      .nonnegative("must be 0 or more seconds")
      .max(MAX_SCHEDULE_AHEAD_MS / 1000, `must be at most ${AHEAD_TEXT} (${MAX_SCHEDULE_AHEAD_MS / 1000} seconds)`)
      .optional(),
    at: z.union([z.string().max(64, "is too long to be a date"), z.number()]).optional(),
    queue: z.string().min(1).max(64).optional(),
    priority: z.number().int("must be a whole number").min(0, "must be 0 or more").max(MAX_PRIORITY, `must be at most ${MAX_PRIORITY}`).optional(),
    attempts: z.number().int("must be a whole number").min(1, "must be 1 or more").max(MAX_ATTEMPTS, `must be at most ${MAX_ATTEMPTS}`).optional(),
    key: z.string().min(1).max(512, "unique keys have at most 512 characters").optional(),
  })
  .strict();

export type EnqueueRequest = z.infer<typeof enqueueRequestSchema>;

/** Validates the request's shape; throws UsageError with one issue per bad field. */
export function parseEnqueueRequest(input: unknown): EnqueueRequest {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    const got = input === null ? "null" : Array.isArray(input) ? "an array" : `a ${typeof input}`;
    const message = `a job to enqueue is an object like {"name": "send-email", "data": {...}}; got ${got}`;
    throw new UsageError(message, { issues: [{ message }] });
  }
  const result = enqueueRequestSchema.safeParse(input);
  if (result.success) return result.data;
  const issues: FieldIssue[] = result.error.issues.flatMap((i): FieldIssue[] => {
    if (i.code === "unrecognized_keys") return i.keys.map((k) => ({ field: k, message: "is not a field of an enqueue request" }));
    return [{ field: i.path.length ? i.path.map(String).join(".") : undefined, message: i.message }];
  });
  throw new UsageError(issuesMessage(issues), { issues });
}

/** Epoch ms of an `at` (ISO 8601 or epoch ms), within the schedulable range. */
export function parseAt(at: string | number, now: number): number {
  const ms = typeof at === "number" ? at : /^\d+$/.test(at.trim()) ? Number(at) : Date.parse(at);
  if (!Number.isFinite(ms) || ms <= 0) {
    throw fieldError(UsageError, "at", `"${at}" is not a date; use ISO 8601 such as 2026-12-01T09:00:00Z or epoch milliseconds`);
  }
  if (ms > now + MAX_SCHEDULE_AHEAD_MS) throw fieldError(UsageError, "at", `"${at}" is more than ${AHEAD_TEXT} ahead`);
  return ms;
}

/** Builds the NewJob for a valid request; throws UnknownJobError, ValidationError or UsageError. */
export function buildNewJob(registry: Registry, req: EnqueueRequest, now: number, limits: Limits = DEFAULT_LIMITS): NewJob {
  const job = registry.get(req.name);
  const raw = checkedPayload(req.data);
  const parsed = parsePayload(job, raw);
  // Stored as the schema parsed it (defaults filled in, unknown keys stripped), as plain JSON.
  const data = toStoredJson(parsed, job.name, limits.maxPayloadBytes);
  const queue = req.queue ?? job.queue;
  if (!registry.queues.includes(queue)) {
    throw fieldError(UsageError, "queue", `"${queue}" is not a configured queue (${registry.queues.join(", ")})`);
  }
  let uniqueKey = req.key;
  if (uniqueKey === undefined && job.unique) {
    try {
      uniqueKey = String(job.unique.key(parsed));
    } catch (err) {
      throw new UsageError(`job "${job.name}": unique.key(payload) threw: ${(err as Error).message}`);
    }
  }
  return {
    name: job.name,
    queue,
    data,
    priority: req.priority ?? job.priority,
    maxAttempts: req.attempts ?? job.attempts,
    runAt: runAtOf(req, now),
    uniqueKey,
    uniqueTtlMs: uniqueKey !== undefined ? (job.unique?.ttlMs ?? DEFAULT_UNIQUE_TTL_MS) : undefined,
    flow: flowFor(job.name, job.flow, queue, registry.queueFlow[queue], parsed),
  };
}

/**
 * For a caller with no job modules (the client straight against a store):
 * the request's shape, its timing and a JSON payload are checked; the
 * schema and the job's defaults are not known, so a job goes to `queue`
 * (default "default") with `attempts` (default 3) and no unique.key. The
 * worker validates the payload when it runs the job.
 */
export function buildOpenNewJob(req: EnqueueRequest, now: number, limits: Limits = DEFAULT_LIMITS): NewJob {
  const data = toStoredJson(checkedPayload(req.data), req.name, limits.maxPayloadBytes);
  return {
    name: req.name,
    queue: req.queue ?? "default",
    data,
    priority: req.priority ?? 0,
    maxAttempts: req.attempts ?? DEFAULT_ATTEMPTS,
    runAt: runAtOf(req, now),
    uniqueKey: req.key,
    uniqueTtlMs: req.key !== undefined ? DEFAULT_UNIQUE_TTL_MS : undefined,
  };
}

function runAtOf(req: EnqueueRequest, now: number): number | undefined {
  if (req.in !== undefined && req.at !== undefined) throw new UsageError("give in or at, not both", { issues: [{ field: "in", message: "give in or at, not both" }] });
  const runAt = req.in !== undefined ? now + Math.round(req.in * 1000) : req.at !== undefined ? parseAt(req.at, now) : undefined;
  return runAt !== undefined && runAt > now ? runAt : undefined;
}

function checkedPayload(data: unknown): unknown {
  const raw = data === undefined ? {} : data;
  if (valueDepth(raw) > MAX_JSON_DEPTH) {
    throw fieldError(ValidationError, "data", `the payload nests objects or arrays more than ${MAX_JSON_DEPTH} levels deep; flatten it`);
  }
  return raw;
}

function toStoredJson(value: unknown, job: string, maxBytes: number): unknown {
  if (value === undefined) return {};
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw fieldError(ValidationError, "data", `the payload for job "${job}" cannot be stored as JSON: ${(err as Error).message}`);
  }
  if (text === undefined) return {};
  const bytes = utf8Bytes(text, maxBytes);
  if (bytes > maxBytes) {
    throw fieldError(ValidationError, "data", `the payload for job "${job}" is ${formatBytes(bytes)} as JSON; at most ${formatBytes(maxBytes)} (limits.maxPayloadBytes): store big data elsewhere and pass a reference`);
  }
  return JSON.parse(text);
}

function fieldError<E extends UsageError | ValidationError>(Kind: new (m: string, o: { issues: FieldIssue[] }) => E, field: string, message: string): E {
  return new Kind(`${field}: ${message}`, { issues: [{ field, message }] });
}
