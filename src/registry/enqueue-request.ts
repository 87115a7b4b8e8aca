/**
 * One enqueue request, whichever edge it came from (CLI flags, HTTP body,
 * client call, `ctx.enqueue`): validated with zod, checked against the
 * job's schema, and turned into the store's NewJob. Field names in errors
 * are the caller's (`--in` for the CLI, `in` for HTTP).
 */

import { z } from "zod";
import { UsageError, ValidationError } from "../core/errors.ts";
import { MAX_JSON_DEPTH, valueDepth } from "../core/json-depth.ts";
import type { NewJob } from "../core/types.ts";
import { parsePayload } from "./job-entry.ts";
import type { Registry } from "./registry.ts";

export const enqueueRequestSchema = z
  .object({
    name: z.string().min(1, "name the job to enqueue"),
    data: z.unknown().optional(),
    in: z.number().finite().nonnegative("must be 0 or more seconds").optional(),
    at: z.union([z.string(), z.number()]).optional(),
    queue: z.string().min(1).optional(),
    priority: z.number().int().nonnegative("must be a whole number >= 0").optional(),
    attempts: z.number().int().min(1, "must be a whole number >= 1").optional(),
    key: z.string().min(1).optional(),
  })
  .strict();

export type EnqueueRequest = z.infer<typeof enqueueRequestSchema>;

/** How a field is named to the caller: `--in` for the CLI, `in` for HTTP, `[3].in` in a batch. */
export type FieldLabel = (field: string) => string;

export const httpLabel: FieldLabel = (f) => f;
export const flagLabel: FieldLabel = (f) => (f === "data" ? "--data" : f === "key" ? "--key" : `--${f}`);

/** Validates the request's shape; throws UsageError naming each bad field. */
export function parseEnqueueRequest(input: unknown, label: FieldLabel = httpLabel): EnqueueRequest {
  const result = enqueueRequestSchema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => {
    if (i.code === "unrecognized_keys") return `unknown field(s) ${i.keys.map(label).join(", ")}`;
    const field = i.path.length ? label(i.path.map(String).join(".")) : "request";
    return `${field}: ${i.message}`;
  });
  throw new UsageError(lines.join("; "));
}

export function parseAt(at: string | number, label: FieldLabel): number {
  const ms = typeof at === "number" ? at : /^\d+$/.test(at.trim()) ? Number(at) : Date.parse(at);
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new UsageError(`${label("at")}: "${at}" is not a date; use ISO 8601 such as 2026-12-01T09:00:00Z or epoch milliseconds`);
  }
  return ms;
}

function toStoredJson(value: unknown, job: string): unknown {
  if (value === undefined) return {};
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new ValidationError(`payload for job "${job}" cannot be stored as JSON: ${(err as Error).message}`);
  }
  return text === undefined ? {} : JSON.parse(text);
}

/** Builds the NewJob for a valid request; throws UnknownJobError, ValidationError or UsageError. */
export function buildNewJob(registry: Registry, req: EnqueueRequest, now: number, label: FieldLabel = httpLabel): NewJob {
  const job = registry.get(req.name);
  const raw = req.data === undefined ? {} : req.data;
  if (valueDepth(raw) > MAX_JSON_DEPTH) {
    throw new ValidationError(`${label("data")}: the payload nests objects or arrays more than ${MAX_JSON_DEPTH} levels deep; flatten it`);
  }
  const parsed = parsePayload(job, raw);
  // Stored as the schema parsed it (defaults filled in, unknown keys stripped), as plain JSON.
  const data = toStoredJson(parsed, job.name);
  if (req.in !== undefined && req.at !== undefined) throw new UsageError(`give ${label("in")} or ${label("at")}, not both`);
  const queue = req.queue ?? job.queue;
  if (!registry.queues.includes(queue)) {
    throw new UsageError(`${label("queue")}: "${queue}" is not a configured queue (${registry.queues.join(", ")})`);
  }
  const runAt = req.in !== undefined ? now + Math.round(req.in * 1000) : req.at !== undefined ? parseAt(req.at, label) : undefined;
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
    runAt: runAt !== undefined && runAt > now ? runAt : undefined,
    uniqueKey,
    uniqueTtlMs: uniqueKey !== undefined ? (job.unique?.ttlMs ?? 3_600_000) : undefined,
  };
}
