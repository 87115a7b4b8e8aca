/**
 * The vocabulary of the PostgreSQL bench (run.ts and its children): which
 * system, which scenario, the knobs, and the one JSON line a child prints.
 * Every system runs against the same database on the same server, one
 * child process at a time.
 */

/**
 * qworker (and, for the drain, qworker with postgresAsyncOutcomes off:
 * every commit waits for the WAL flush, as the peers' do), and its peers in
 * every configuration the bench tries:
 * pg-boss's `work()` (two batch sizes) and its fetch/complete loop, and
 * BullMQ's PostgreSQL backend. A peer's figure is its best configuration.
 */
export type PgSystem = "qworker" | "qworker-sync" | "pgboss-work" | "pgboss-work-big" | "pgboss-fetch" | "bullmq";
export type PgScenario = "bulk" | "one" | "drain";

export interface PgBenchParams {
  /** A database the bench may fill and reset (its schemas qwbench, pgboss, bullmq). */
  url: string;
  /** Jobs for the bulk enqueue and the drain. */
  jobs: number;
  /** Jobs for the one-by-one enqueue. */
  oneJobs: number;
  /** Jobs per bulk call. */
  batch: number;
  /** Jobs in flight per worker process (qworker --concurrency, BullMQ concurrency). */
  concurrency: number;
  /** A drain still running after this long is cut short and reported from what completed (flagged). */
  drainCapMs: number;
  /** Scratch folder (qworker's config file). */
  workDir: string;
}

export interface PgBenchResult {
  system: PgSystem;
  scenario: PgScenario;
  /** jobsPerSec, plus per-scenario extras (dbWindowJobsPerSec, …). */
  metrics: Record<string, number>;
  /** How the system was run, for the report. */
  settings: string;
  notes?: string[];
  error?: string;
}

export const RESULT_TAG = "PGBENCH_RESULT ";
export const QUEUE = "bench";
export const payload = (n: number) => ({ n, to: "user@example.com" });

/** Who runs which scenario: every pg-boss drain configuration; its enqueue figures come from one of them. */
export const PLAN: Record<PgScenario, PgSystem[]> = {
  bulk: ["qworker", "pgboss-fetch", "bullmq"],
  one: ["qworker", "pgboss-fetch", "bullmq"],
  drain: ["qworker", "qworker-sync", "pgboss-work", "pgboss-work-big", "pgboss-fetch", "bullmq"],
};
