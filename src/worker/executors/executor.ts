/**
 * One Executor per mode, each running a try of a job and saying how it
 * ended (a TryEnding; outcome.ts decides what that means):
 * - async (async.ts): in this event loop, as execute.ts always did;
 * - thread (remote.ts + thread.ts): in a pool of worker threads;
 * - process (remote.ts + process.ts): in a pool of child processes of this
 *   binary.
 * `Executors` picks the one for a job (`defineJob({ mode })`, else the
 * server's `--mode`), creates it on first use (a server whose jobs are all
 * async starts no thread and no child) and stops them all at shutdown.
 */

import { availableParallelism } from "node:os";
import type { Logger } from "../../core/logger.ts";
import type { JobEntry } from "../../registry/job-entry.ts";
import type { ExecMode } from "../../sdk/define-job.ts";
import type { ExecuteParams, TryEnding } from "../execute.ts";
import { AsyncExecutor } from "./async.ts";
import { HostPool } from "./host-pool.ts";
import { startChildHost } from "./process.ts";
import { RemoteExecutor } from "./remote.ts";
import { startThreadHost } from "./thread.ts";

export interface Executor {
  readonly mode: ExecMode;
  run(p: ExecuteParams): Promise<TryEnding>;
  /** Stops its threads or children (their tries must have ended). */
  stop(): Promise<void>;
}

export interface ExecutorsOptions {
  /** The server's `--mode`: for jobs that name none. */
  mode: ExecMode;
  /** The pool's concurrency: no more hosts than jobs that can run at once. */
  concurrency: number;
  log: Logger;
  /** Most worker threads (default: defaultHosts). */
  threads?: number;
  /** Most child processes (default: defaultHosts). */
  children?: number;
  /** maxMemoryMb of a thread or child try whose job sets none. */
  maxMemoryMb?: number;
  /** The async executor's event-loop watchdog (default on). */
  loopWatchdog?: boolean;
  /** How long a job module may take to load in a thread or child, on top of the first try's timeout (default 30 s). */
  moduleLoadMs?: number;
}

/**
 * One host per CPU (at least 2), never more than can run at once. More
 * threads than cores only adds switching: on 2 cores, 4 threads drained
 * no-op jobs slower than 2 (bench/modes.ts). Jobs that wait on I/O rather
 * than the CPU can use more: worker.threads / worker.children.
 */
export function defaultHosts(_kind: "thread" | "process", concurrency: number): number {
  return Math.max(1, Math.min(concurrency, Math.max(2, availableParallelism())));
}

export class Executors {
  private readonly made = new Map<ExecMode, Executor>();

  constructor(private readonly opts: ExecutorsOptions) {}

  modeOf(entry: JobEntry): ExecMode {
    return entry.mode ?? this.opts.mode;
  }

  for(entry: JobEntry): Executor {
    const mode = entry.mode ?? this.opts.mode;
    return this.made.get(mode) ?? this.make(mode);
  }

  async stop(): Promise<void> {
    const all = [...this.made.values()];
    this.made.clear();
    await Promise.all(all.map((e) => e.stop()));
  }

  private make(mode: ExecMode): Executor {
    const { opts } = this;
    let made: Executor;
    if (mode === "async") {
      made = new AsyncExecutor({ log: opts.log, watchdog: opts.loopWatchdog ?? true });
    } else {
      const thread = mode === "thread";
      const size = Math.min(opts.concurrency, (thread ? opts.threads : opts.children) ?? defaultHosts(mode, opts.concurrency));
      const hosts = new HostPool({ kind: mode, size, start: thread ? startThreadHost : startChildHost, log: opts.log });
      made = new RemoteExecutor({ mode, hosts, maxMemoryMb: opts.maxMemoryMb, moduleLoadMs: opts.moduleLoadMs });
      opts.log.info(`${mode} mode: up to ${size} ${thread ? "worker threads" : "child processes"}, started as jobs need them`);
    }
    this.made.set(mode, made);
    return made;
  }
}
