/**
 * The vocabulary the orchestrator (run.ts) and the child processes
 * (scenario.ts) share: which system, which store, which scenario, the knobs,
 * and the one JSON line a child prints.
 */

export type StoreName = "memory" | "sqlite" | "redis";
/** bullmq: Node, worker retention set as qworker's defaults; bullmq-defaults: Node, BullMQ's default options (keeps every job). */
export type SystemName = "qworker" | "bunqueue" | "bullmq" | "bullmq-defaults";
export type ScenarioName = "bulk" | "one" | "drain" | "latency" | "xlatency" | "redismem";

export interface ScenarioParams {
  /** Jobs for the bulk enqueue and the drain. */
  jobs: number;
  /** Jobs for the Redis drain, where each system's worker runs as a whole process timed from spawn to exit. */
  drainJobs: number;
  /** Jobs for the one-by-one enqueue. */
  oneJobs: number;
  /** Jobs per bulk call. */
  batch: number;
  /** Worker concurrency for the drain. */
  concurrency: number;
  /** Latency samples (same process). */
  samples: number;
  /** Latency samples across processes (SQLite); each costs a pause long enough for the idle poller to back off. */
  xsamples: number;
  /** Pause between latency samples, drawn from [min, max] ms. */
  pauseMs: [number, number];
  /** Same, for the cross-process SQLite latency (long enough for the idle poller to back off to its cap). */
  xpauseMs: [number, number];
  /** Waiting jobs for the Redis bytes-per-job figure. */
  memJobs: number;
  /** A drain still running after this long is cut short and reported from what completed (flagged). */
  drainCapMs: number;
  /** Scratch folder for database files (one fresh file per child). */
  workDir: string;
  redisUrl?: string;
  /** The compiled binary (the Redis drain runs `qworker run --burst` as a process). */
  binary?: string;
}

export interface ScenarioResult {
  system: SystemName;
  store: StoreName;
  scenario: ScenarioName;
  /** Figures by name: jobsPerSec, p50Ms, p99Ms, bytesPerJob, ... */
  metrics: Record<string, number>;
  /** Peak RSS of the child process (kernel high-water mark), MB. */
  peakRssMb: number;
  notes?: string[];
  error?: string;
}

/** Prefix of the result line a child prints on stdout, so stray output cannot be mistaken for it. */
export const RESULT_TAG = "BENCH_RESULT ";

/** Queue name every system uses. */
export const QUEUE = "bench";

/** The small payload every system enqueues. */
export const payload = (n: number) => ({ n, to: "user@example.com" });
