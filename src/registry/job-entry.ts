/**
 * A loaded job: the module's `defineJob` spec resolved against the config
 * (defaults applied, durations parsed, queue checked). Everything else in
 * qworker uses this shape, never the raw spec.
 */

import type { z } from "zod";
import { DEFAULT_BACKOFF, type BackoffPolicy } from "../core/backoff.ts";
import { ValidationError } from "../core/errors.ts";
import type { EntryFlow } from "./flow-options.ts";
import type { ExecMode, JobContext, JobDefinition } from "../sdk/define-job.ts";

export const DEFAULT_ATTEMPTS = 3;
/** Bounds of a job's priority and attempts, in defineJob and in every enqueue. */
export const MAX_PRIORITY = 65_535;
export const MAX_ATTEMPTS = 1_000;
export const DEFAULT_TIMEOUT_MS = 5 * 60_000;
/** Bounds of `maxMemoryMb`: below 16 MB no Bun thread or process starts; above 1 TB is a typo. */
export const MAX_MEMORY_MB_RANGE = [16, 1_048_576] as const;
export { DEFAULT_UNIQUE_TTL_MS } from "../core/types.ts";

export interface JobEntry {
  name: string;
  /** Absolute path of the module. */
  file: string;
  /** What was imported: the path, or after a reload the path with its reload's `?v=N`, so a thread or child host loads the code this registry holds. */
  module: string;
  queue: string;
  attempts: number;
  backoff: BackoffPolicy;
  timeoutMs: number;
  priority: number;
  cron?: { expression: string; timezone: string; payload: unknown; overlap: "skip" | "allow" };
  unique?: { key: (payload: any) => string; ttlMs: number };
  schema?: z.ZodType;
  /** The job's own mode; undefined follows the server's `--mode`. */
  mode?: ExecMode;
  /** Thread/process modes: stop a try past this much memory (MB). */
  maxMemoryMb?: number;
  /** Flow control (concurrency, rateLimit, group), checked: turned into a record's `flow` at enqueue (flow-options.ts). */
  flow?: EntryFlow;
  run: (payload: any, ctx: JobContext) => unknown;
  definition: JobDefinition;
}

/** Parses `data` with the job's schema; the message carries every zod issue path. */
export function parsePayload(job: JobEntry, data: unknown): unknown {
  if (!job.schema) return data;
  const result = job.schema.safeParse(data);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ field: ["data", ...i.path.map(String)].join("."), message: i.message }));
  const shown = result.error.issues.map((i) => `${i.path.length ? i.path.join(".") : "(payload)"}: ${i.message}`);
  throw new ValidationError(`payload for job "${job.name}" does not match its schema: ${shown.join("; ")}`, { issues });
}

export function mergeBackoff(spec: Partial<BackoffPolicy> | undefined): BackoffPolicy {
  return { ...DEFAULT_BACKOFF, ...(spec ?? {}) };
}
