/**
 * The one configuration schema. `config/qworker.json`, `QWORKER_*` env and
 * flags all feed it; `build.ts` emits `config/qworker.schema.json` from it
 * for editors. Durations accept "30s"-style strings or milliseconds.
 */

import { z } from "zod";
import { formatDuration, tryParseDuration } from "../core/duration.ts";
import { DEFAULT_SCHEMA, SCHEMA_NAME } from "./postgres-names.ts";

const DAY = 86_400_000;

/**
 * A duration with its bounds: every value that reaches a timer or a lease
 * is checked here, so `lease: 0` (a storm of renewals) or "99999999999999999999d"
 * (a timer that overflows) is a config error naming the field, not a
 * misbehaving server.
 */
const duration = (fallback: string, min: number, max: number) =>
  z
    .union([z.number().nonnegative(), z.string()])
    .default(fallback)
    .transform((v, ctx) => {
      const ms = tryParseDuration(v);
      if (ms === undefined) {
        ctx.addIssue({ code: "custom", message: `"${v}" is not a duration; use milliseconds or e.g. "30s", "5m", "24h", "7d"` });
        return z.NEVER;
      }
      if (ms < min || ms > max) {
        ctx.addIssue({ code: "custom", message: `${JSON.stringify(v)} is out of range; use from ${formatDuration(min)} to ${formatDuration(max)}` });
        return z.NEVER;
      }
      return ms;
    });

/** A flow-control bound (issue 20): at most this many running, or starting per window. */
const flowMax = z
  .number({ error: "must be a whole number" })
  .int("must be a whole number")
  .min(1, "must be 1 or more")
  .max(100_000, "must be at most 100,000");

/** A rate limit's window: from 100 ms to a day, like a job's `rateLimit.per`. */
const flowPer = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const ms = tryParseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({ code: "custom", message: `${JSON.stringify(v)} is not a duration; use e.g. "1s" or "1m"` });
    return z.NEVER;
  }
  if (ms < 100 || ms > DAY) {
    ctx.addIssue({ code: "custom", message: `${JSON.stringify(v)} is out of range; use from 100ms to 1d` });
    return z.NEVER;
  }
  return ms;
});

export const queueLimitsSchema = z
  .object({
    concurrency: z.object({ max: flowMax }).strict().optional().describe("At most max jobs of this queue running at once across the fleet"),
    rateLimit: z.object({ max: flowMax, per: flowPer }).strict().optional().describe("At most max starts per `per`, spread evenly (no bursts)"),
  })
  .strict();

export const QUEUE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const queueName = z.string().regex(QUEUE_NAME, "queue names are 1-64 letters, digits, '_', '.', '-'");

export const ROLES = ["all", "worker", "scheduler", "api"] as const;
export const MODES = ["async", "thread", "process"] as const;
export const BACKENDS = ["memory", "sqlite", "redis", "postgres"] as const;

const postgresUrl = z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL");

export const scheduleSchema = z
  .object({
    name: z.string().min(1).optional().describe("Schedule name; defaults to the job name"),
    job: z.string().min(1).describe("Name of the job to enqueue"),
    cron: z.string().min(1).describe("5-field (minute) or 6-field (second) cron expression"),
    payload: z.unknown().optional(),
    timezone: z.string().default("UTC"),
    enabled: z.boolean().default(true),
    overlap: z.enum(["skip", "allow"]).default("skip"),
    catchUp: duration("0ms", 0, 366 * DAY).describe("Run every missed slot within this window after downtime; 0 runs only the latest"),
  })
  .strict();

export const configSchema = z
  .object({
    $schema: z.string().optional(),
    jobs: z.string().default("./jobs").describe("Folder of job modules"),
    jobLoadTimeout: duration("10s", 100, 600_000).describe("How long one job module may take to load before validate, run and reload name it and refuse"),
    queues: z.array(queueName).min(1).default(["critical", "default", "low"]).describe("Queues in strict priority order"),
    queueLimits: z
      .record(queueName, queueLimitsSchema)
      .default({})
      .describe("Flow control per queue: { \"<queue>\": { concurrency: { max }, rateLimit: { max, per } } }, held across every process sharing the store"),
    store: z
      .object({
        backend: z.enum(BACKENDS).default("sqlite"),
        db: z.string().default("./data/qworker.db").describe("SQLite file"),
        redisUrl: z
          .string()
          .default("redis://127.0.0.1:6379")
          .describe("redis://, rediss://, redis-sentinel://host:port[,host:port]/<master> or redis-cluster://host:port[,host:port] URL"),
        redisPrefix: z.string().regex(/^[A-Za-z0-9_.:-]{1,32}$/).default("qw").describe("Hash tag of every key: {prefix}"),
        postgresUrl: postgresUrl.default("postgres://127.0.0.1:5432/postgres").describe("postgres:// URL of the database (backend postgres)"),
        postgresSchema: z
          .string()
          .regex(SCHEMA_NAME, "1-40 lower-case letters, digits and '_', not starting with a digit")
          .default(DEFAULT_SCHEMA)
          .describe("Schema of qworker's tables, created and migrated by qworker"),
        postgresPoolSize: z.number().int().min(1).max(1_000).default(10).describe("Connections per process"),
        postgresPreparedStatements: z.boolean().default(false).describe("Prepare the hot statements on each connection: faster on a direct connection; keep false behind PgBouncer < 1.21"),
        postgresAsyncOutcomes: z
          .boolean()
          .default(true)
          .describe("Claims and completions commit without waiting for the WAL flush; enqueues always wait. A crash of the server re-runs jobs finished in its last ~0.6 s"),
        postgresListen: z.boolean().default(true).describe("LISTEN for wake-ups; false relies on polling (at most 1 s behind)"),
        postgresListenUrl: postgresUrl.optional().describe("A direct connection for LISTEN when postgresUrl goes through PgBouncer in transaction mode"),
        // Redis-only settings, kept apart from the rest of `store` by name.
        sentinels: z
          .array(z.string().regex(/^[A-Za-z0-9.:[\]-]{1,253}:\d{1,5}$/, "host:port"))
          .min(1)
          .max(16)
          .optional()
          .describe("Redis Sentinel addresses (host:port); with sentinelMaster, used instead of redisUrl's host"),
        sentinelMaster: z.string().min(1).max(128).optional().describe("The master name the sentinels watch"),
        queueTags: z
          .record(z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/, "tag names are 1-32 letters, digits, '_', '.', '-'"), z.array(queueName).min(1))
          .refine((tags) => Object.keys(tags).length <= 64, "at most 64 tags")
          .optional()
          .describe("Redis Cluster: tag -> queues; each tag's queues live in a hash slot of their own, so they spread over the shards. Fixed for a deployment's life"),
        allowEviction: z
          .boolean()
          .default(false)
          .describe("Accept a Redis whose maxmemory-policy is not noeviction, which may evict jobs under memory pressure"),
      })
      .strict()
      .prefault({}),
    worker: z
      .object({
        role: z.enum(ROLES).default("all"),
        concurrency: z.number().int().min(1).max(10_000).default(10),
        mode: z.enum(MODES).default("async").describe("Where jobs that set no `mode` run: the event loop, worker threads or child processes"),
        processes: z.number().int().min(1).max(64).optional().describe("Supervise this many worker processes (named <host>-<pid>-<index>); unset: the pool runs in this process"),
        threads: z.number().int().min(1).max(256).optional().describe("Most worker threads for thread-mode jobs (default: one per CPU, at least 2, at most concurrency)"),
        children: z.number().int().min(1).max(64).optional().describe("Most child processes for process-mode jobs (default: one per CPU, at least 2, at most concurrency)"),
        maxMemoryMb: z.number().int().min(16).max(1_048_576).optional().describe("Stop a thread or process try past this much memory, for jobs that set no maxMemoryMb"),
        lease: duration("30s", 1_000, DAY),
        heartbeat: duration("2s", 100, 60_000).describe("How often a worker tells the fleet it lives; after 3 missed beats its jobs are handed out again"),
        maxStalls: z.number().int().min(0).default(2),
        shutdownTimeout: duration("25s", 0, 3_600_000),
        queues: z.array(queueName).min(1).optional().describe("Queues this worker takes; default: all configured"),
      })
      .strict()
      .prefault({}),
    admin: z
      .object({
        enabled: z.boolean().default(true),
        host: z.string().default("127.0.0.1"),
        port: z.number().int().min(0).max(65_535).default(7420),
        token: z.string().min(16, "admin.token must be at least 16 characters").max(1_024).optional(),
        tokenFile: z.string().min(1).optional().describe("File holding the admin token alone (mode 0600); keeps it out of ps and of the config"),
        allowedHosts: z
          .array(z.string().regex(/^[A-Za-z0-9.:[\]-]{1,253}$/, "a host name or address, without port"))
          .default([])
          .describe("Names clients may use in the Host header besides loopback and the bound address (DNS-rebinding guard)"),
        maxBodyBytes: z.number().int().min(1_024).max(256 * 1024 * 1024).default(1_048_576),
        maxRequests: z.number().int().min(1).max(100_000).default(256).describe("Requests answered at once; more get 503 at once (GET /health is always answered)"),
        requestTimeout: duration("30s", 1_000, 600_000).describe("A request not answered within this gets 503"),
        idleTimeout: duration("10s", 1_000, 255_000).describe("An idle connection is closed after this (slow clients)"),
        publicMetrics: z.boolean().default(false).describe("Serve GET /metrics without the token (for scrapers that carry none); every other route still needs it"),
        readOnly: z.boolean().default(false).describe("Dashboard and API serve reads only: every action (enqueue, retry, cancel, remove, pause, resume) answers 403"),
      })
      .strict()
      .prefault({}),
    retention: z
      .object({
        completedMaxAge: duration("24h", 0, 3_650 * DAY),
        completedMaxCount: z.number().int().min(0).default(1_000),
        failedMaxAge: duration("7d", 0, 3_650 * DAY),
        failedMaxCount: z.number().int().min(0).default(100_000),
      })
      .strict()
      .prefault({}),
    scheduler: z
      .object({
        leaderTtl: duration("8s", 1_000, 300_000),
        leaderRenew: duration("2s", 100, 150_000),
        rescueInterval: duration("2s", 100, 600_000),
        retentionInterval: duration("60s", 1_000, DAY),
      })
      .strict()
      .prefault({}),
    limits: z
      .object({
        maxPayloadBytes: z.number().int().min(1_024).max(64 * 1024 * 1024).default(512 * 1024).describe("A job's payload as JSON, in bytes"),
        maxResultBytes: z.number().int().min(1_024).max(64 * 1024 * 1024).default(1024 * 1024).describe("A job's return value as JSON, in bytes; a bigger one fails the job"),
        maxBulkJobs: z.number().int().min(1).max(1_000_000).default(10_000).describe("Jobs in one enqueue call (HTTP bulk request, client call, --jsonl file)"),
        jobLogLines: z.number().int().min(1).max(1_000).default(200).describe("ctx.log lines kept on a job (the last ones, over all its tries); a try that writes more says so in its last kept line"),
      })
      .strict()
      .prefault({}),
    schedules: z.array(scheduleSchema).default([]),
    log: z
      .object({
        level: z.enum(["debug", "info", "warn", "error"]).default("info"),
        format: z.enum(["auto", "pretty", "json"]).default("auto").describe("auto: pretty on a terminal, JSON lines otherwise (journald, files, pipes)"),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type ScheduleConfig = z.output<typeof scheduleSchema>;

export function configJsonSchema(): unknown {
  return z.toJSONSchema(configSchema, { io: "input", unrepresentable: "any" });
}
