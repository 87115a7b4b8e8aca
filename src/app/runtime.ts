/**
 * The composition root of `qworker run`: loads the jobs, opens the store,
 * and starts what the role asks for (worker pool, scheduler, admin API).
 * Shutdown runs in the reverse order and is idempotent, so a signal, a
 * burst drain and a test can all end the same way.
 */

import { hostname } from "node:os";
import type { Clock } from "../core/clock.ts";
import { ConfigError, JobLoadError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import type { Config } from "../config/schema.ts";
import { QworkerMetrics } from "../metrics/qworker-metrics.ts";
import { gitCommit, VERSION } from "../core/version.ts";
import { LocalOperations } from "../ops/local.ts";
import { Registry } from "../registry/registry.ts";
import { openStore } from "../store/open-store.ts";
import type { Store } from "../store/store.ts";
import { WorkerPool } from "../worker/pool.ts";
import { AdminServer } from "../admin/server.ts";
import { Scheduler } from "../scheduler/scheduler.ts";
import { runtimeHealth } from "./health.ts";
import { checkSetup } from "./preflight.ts";
import { Reloader, type ReloadState } from "./reload.ts";
import { forgetGoneWorkers } from "./gone-workers.ts";
import { ProcessSupervisor } from "./supervisor.ts";

export interface RuntimeOptions {
  config: Config;
  /** The config file read, for messages about its `schedules`. */
  configFile?: string;
  clock: Clock;
  log: Logger;
  burst?: boolean;
  /** Start the admin API even for worker/scheduler roles (an explicit --admin-port). */
  forceAdmin?: boolean;
  workerId?: string;
  /** `--processes`: the `run` arguments, passed on to each worker process. */
  childArgs?: string[];
  /** Re-reads the config for a reload (flags, env and file, as at start). */
  readConfig?(): { config: Config; file?: string };
  /** `run --max-jobs N`: start N jobs, then drain and exit. */
  maxJobs?: number;
  /** Aborted by a stop signal during start-up: loading the job modules ends and start() rejects. */
  startSignal?: AbortSignal;
  /** A worker process of `--processes` (its supervisor cleans up the host's records, not each child). */
  supervised?: boolean;
}

export class Runtime {
  readonly pool?: WorkerPool;
  readonly scheduler?: Scheduler;
  readonly admin?: AdminServer;
  readonly supervisor?: ProcessSupervisor;
  private stopping: Promise<void> | undefined;
  private readonly reloader: Reloader;
  private current: Registry;

  private constructor(
    readonly options: RuntimeOptions,
    readonly store: Store,
    readonly registry: Registry,
    readonly ops: LocalOperations,
    parts: { pool?: WorkerPool; scheduler?: Scheduler; admin?: AdminServer; supervisor?: ProcessSupervisor },
  ) {
    Object.assign(this, parts);
    this.current = registry;
    this.reloader = new Reloader({
      config: options.config,
      configFile: options.configFile,
      log: options.log,
      readConfig: options.readConfig,
      apply: (next) => {
        this.current = next;
        this.ops.useRegistry(next);
        this.pool?.useRegistry(next);
        this.scheduler?.useRegistry(next);
        // Process mode: each worker process loads its own modules; it reloads them the same way.
        this.supervisor?.reload();
      },
    });
  }

  /** The job modules and schedules in use (they change on a reload). */
  get jobs(): Registry {
    return this.current;
  }

  /** Reloads job modules and schedules in place (SIGHUP, --watch); see reload.ts. */
  reload(): Promise<ReloadState> {
    return this.reloader.reload();
  }

  /** The last reload, for /health. */
  get lastReload(): ReloadState | undefined {
    return this.reloader.last;
  }

  /** Builds and starts everything the role needs; throws before starting anything on bad jobs or config. */
  static async start(opts: RuntimeOptions): Promise<Runtime> {
    const { config, clock, log } = opts;
    const role = config.worker.role;
    const supervising = config.worker.processes !== undefined && !opts.supervised;
    const drains = opts.burst ? "--burst" : opts.maxJobs !== undefined ? "--max-jobs" : undefined;
    if (drains && role !== "all" && role !== "worker") throw new ConfigError(`${drains} drains queues, so it needs --role all or worker (got ${role})`);
    if (drains && supervising) throw new ConfigError(`${drains} runs one worker pool in this process; drop --processes (QWORKER_PROCESSES, worker.processes) or ${drains}`);

    // The very checks `validate` makes (preflight.ts): what it passes, run accepts.
    log.info("loading job modules", { dir: config.jobs });
    const { registry, problems } = await checkSetup(config, opts.configFile, { signal: opts.startSignal });
    if (problems.length) throw new JobLoadError(problems);
    const store = await openStore(config, clock);
    // Counted in memory as things happen; rendered by GET /metrics (src/metrics/).
    const metrics = new QworkerMetrics(() => ({ version: VERSION, commit: gitCommit() }));
    const ops = new LocalOperations({ store, clock, registry, limits: config.limits, onEnqueued: (job) => metrics.countEnqueued(job) });
    const id = opts.workerId ?? `${hostname()}-${process.pid}`;
    // /health reports the last reload; the runtime exists only once everything started.
    let made: Runtime | undefined;
    const parts: { pool?: WorkerPool; scheduler?: Scheduler; admin?: AdminServer; supervisor?: ProcessSupervisor } = {};
    try {
      for (const warning of (await store.checkServerConfig?.()) ?? []) log.warn(warning);
      if ((role === "all" || role === "worker") && !opts.supervised) {
        await forgetGoneWorkers({ store, now: clock.now(), leaseMs: config.worker.lease, log });
      }
      if ((role === "all" || role === "worker") && supervising) {
        const passOn = opts.childArgs ?? [];
        parts.supervisor = new ProcessSupervisor({
          processes: config.worker.processes!,
          childArgs: (index) => ["__worker", "--index", String(index), "--worker-name", `${id}-${index}`, ...passOn],
          log: log.child({ service: "supervisor" }),
        });
      } else if (role === "all" || role === "worker") {
        parts.pool = new WorkerPool({
          store,
          registry,
          clock,
          log,
          queues: config.worker.queues ?? config.queues,
          concurrency: config.worker.concurrency,
          leaseMs: config.worker.lease,
          heartbeatMs: config.worker.heartbeat,
          role,
          mode: config.worker.mode,
          workerId: id,
          burst: opts.burst,
          maxJobs: opts.maxJobs,
          execution: { mode: config.worker.mode, threads: config.worker.threads, children: config.worker.children, maxMemoryMb: config.worker.maxMemoryMb },
          maxStalls: config.worker.maxStalls,
          maxResultBytes: config.limits.maxResultBytes,
          jobLogLines: config.limits.jobLogLines,
          enqueue: async (name, payload, o) => {
            const [r] = await ops.enqueue([{ name, data: payload, ...o, at: o?.at instanceof Date ? o.at.toISOString() : o?.at }]);
            return r.id;
          },
        });
        warnUnenforcedMemoryLimits(registry, config.worker.mode, log);
      }
      if (parts.pool) metrics.observePool(parts.pool.events);
      if ((role === "all" || role === "scheduler") && !drains) {
        parts.scheduler = new Scheduler({ store, registry, config, clock, log: log.child({ service: "scheduler" }), holderId: id });
        metrics.observeScheduler(parts.scheduler.events, {
          schedule: (name) => registry.schedules.find((s) => s.name === name)?.job,
          job: (jobId) => store.getJob(jobId),
        });
      }
      if (config.admin.enabled && (role === "all" || role === "api" || opts.forceAdmin)) {
        parts.admin = new AdminServer({
          ops,
          host: config.admin.host,
          port: config.admin.port,
          token: config.admin.token,
          allowedHosts: config.admin.allowedHosts,
          maxBodyBytes: config.admin.maxBodyBytes,
          maxRequests: config.admin.maxRequests,
          requestTimeoutMs: config.admin.requestTimeout,
          idleTimeoutMs: config.admin.idleTimeout,
          metrics,
          publicMetrics: config.admin.publicMetrics,
          readOnly: config.admin.readOnly,
          log: log.child({ service: "admin" }),
          health: runtimeHealth({ store, pool: parts.pool, role, reload: () => made?.lastReload }),
        });
        await parts.admin.start();
      }
      await parts.scheduler?.start();
      parts.pool?.start();
      parts.supervisor?.start();
    } catch (err) {
      await parts.admin?.stop().catch(() => {});
      await parts.scheduler?.stop().catch(() => {});
      await store.close().catch(() => {});
      throw err;
    }
    const runtime = (made = new Runtime(opts, store, registry, ops, parts));
    if (!store.durable) log.warn("the memory store keeps jobs in this process only: everything is lost when it exits");
    log.info("qworker ready", {
      role,
      store: store.kind,
      jobs: registry.names().length,
      queues: (config.worker.queues ?? config.queues).join(","),
      concurrency: parts.pool || parts.supervisor ? config.worker.concurrency : undefined,
      mode: parts.pool || parts.supervisor ? config.worker.mode : undefined,
      processes: parts.supervisor ? config.worker.processes : undefined,
      admin: parts.admin?.url,
    });
    return runtime;
  }

  /** Graceful: stop fetching, give running jobs `graceMs`, put the rest back. Idempotent. */
  stop(graceMs = this.options.config.worker.shutdownTimeout): Promise<void> {
    this.stopping ??= (async () => {
      const { log } = this.options;
      log.info("shutting down", { running: this.pool?.activeCount ?? 0, graceMs });
      await this.pool?.stop(graceMs);
      await this.supervisor?.stop();
      await this.scheduler?.stop();
      await this.admin?.stop();
      await this.store.close();
      log.info("stopped");
    })();
    return this.stopping;
  }

  /** Second signal: abort running jobs now; they are put back without spending an attempt. */
  hurry(): void {
    this.pool?.abortAll();
    this.supervisor?.hurry();
  }
}

/** maxMemoryMb needs a thread or a child to measure and stop; in async mode it cannot be kept. */
function warnUnenforcedMemoryLimits(registry: Registry, mode: string, log: Logger): void {
  for (const entry of registry.list()) {
    if (entry.maxMemoryMb !== undefined && (entry.mode ?? mode) === "async") {
      log.warn(`job "${entry.name}" sets maxMemoryMb, which async mode cannot enforce; give it mode: "process" (exact) or "thread"`, { file: entry.file });
    }
  }
}
