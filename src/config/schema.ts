/**
 * The one configuration schema. `config/qworker.json`, `QWORKER_*` env and
 * flags all feed it; `build.ts` emits `config/qworker.schema.json` from it
 * for editors. Durations accept "30s"-style strings or milliseconds.
 */

import { z } from "zod";
import { tryParseDuration } from "../core/duration.ts";

const duration = (fallback: string) =>
  z
    .union([z.number().nonnegative(), z.string()])
    .default(fallback)
    .transform((v, ctx) => {
      const ms = tryParseDuration(v);
      if (ms === undefined) {
        ctx.addIssue({ code: "custom", message: `"${v}" is not a duration; use milliseconds or e.g. "30s", "5m", "24h", "7d"` });
        return z.NEVER;
      }
      return ms;
    });

export const QUEUE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const queueName = z.string().regex(QUEUE_NAME, "queue names are 1-64 letters, digits, '_', '.', '-'");

export const ROLES = ["all", "worker", "scheduler", "api"] as const;
export const MODES = ["async", "thread", "process"] as const;
export const BACKENDS = ["memory", "sqlite", "redis"] as const;

export const scheduleSchema = z
  .object({
    name: z.string().min(1).optional().describe("Schedule name; defaults to the job name"),
    job: z.string().min(1).describe("Name of the job to enqueue"),
    cron: z.string().min(1).describe("5-field (minute) or 6-field (second) cron expression"),
    payload: z.unknown().optional(),
    timezone: z.string().default("UTC"),
    enabled: z.boolean().default(true),
    overlap: z.enum(["skip", "allow"]).default("skip"),
    catchUp: duration("0ms").describe("Run every missed slot within this window after downtime; 0 runs only the latest"),
  })
  .strict();

export const configSchema = z
  .object({
    $schema: z.string().optional(),
    jobs: z.string().default("./jobs").describe("Folder of job modules"),
    queues: z.array(queueName).min(1).default(["critical", "default", "low"]).describe("Queues in strict priority order"),
    store: z
      .object({
        backend: z.enum(BACKENDS).default("sqlite"),
        db: z.string().default("./data/qworker.db").describe("SQLite file"),
        redisUrl: z
          .string()
          .default("redis://127.0.0.1:6379")
          .describe("redis://, rediss://, redis-sentinel://host:port[,host:port]/<master> or redis-cluster://host:port[,host:port] URL"),
        redisPrefix: z.string().regex(/^[A-Za-z0-9_.:-]{1,32}$/).default("qw").describe("Hash tag of every key: {prefix}"),
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
        mode: z.enum(MODES).default("async"),
        processes: z.number().int().min(1).max(256).default(1),
        lease: duration("30s"),
        heartbeat: duration("2s").describe("How often a worker tells the fleet it lives; after 3 missed beats its jobs are handed out again"),
        maxStalls: z.number().int().min(0).default(2),
        shutdownTimeout: duration("25s"),
        queues: z.array(queueName).min(1).optional().describe("Queues this worker takes; default: all configured"),
      })
      .strict()
      .prefault({}),
    admin: z
      .object({
        enabled: z.boolean().default(true),
        host: z.string().default("127.0.0.1"),
        port: z.number().int().min(0).max(65_535).default(7420),
        token: z.string().min(16, "admin.token must be at least 16 characters").optional(),
        allowedHosts: z
          .array(z.string().regex(/^[A-Za-z0-9.:[\]-]{1,253}$/, "a host name or address, without port"))
          .default([])
          .describe("Names clients may use in the Host header besides loopback and the bound address (DNS-rebinding guard)"),
        maxBodyBytes: z.number().int().min(1_024).default(1_048_576),
      })
      .strict()
      .prefault({}),
    retention: z
      .object({
        completedMaxAge: duration("24h"),
        completedMaxCount: z.number().int().min(0).default(1_000),
        failedMaxAge: duration("7d"),
        failedMaxCount: z.number().int().min(0).default(100_000),
      })
      .strict()
      .prefault({}),
    scheduler: z
      .object({
        leaderTtl: duration("8s"),
        leaderRenew: duration("2s"),
        rescueInterval: duration("2s"),
        retentionInterval: duration("60s"),
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
