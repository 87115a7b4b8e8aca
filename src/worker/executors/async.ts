/**
 * Async mode: the try runs in this event loop (execute.ts). Cheapest by
 * far, but a job that blocks the loop (a busy loop, heavy synchronous work)
 * freezes every other job, lease renewal, the admin API and /health with
 * it, and its timeout cannot fire. Such a job cannot be stopped from here;
 * the loop watchdog (loop-watchdog.ts) at least names it in the log while
 * it happens, so its author knows to give it `mode: "thread"` or
 * `"process"`.
 */

import type { Logger } from "../../core/logger.ts";
import { executeTry, type ExecuteParams, type TryEnding } from "../execute.ts";
import { LoopWatchdog } from "../loop-watchdog.ts";
import type { Executor } from "./executor.ts";

export class AsyncExecutor implements Executor {
  readonly mode = "async" as const;
  private readonly watchdog: LoopWatchdog | undefined;

  constructor(opts: { log: Logger; watchdog: boolean }) {
    this.watchdog = opts.watchdog ? new LoopWatchdog(opts.log) : undefined;
  }

  run(p: ExecuteParams): Promise<TryEnding> {
    const watchdog = this.watchdog;
    if (!watchdog) return executeTry(p);
    const slot = watchdog.enter(p.job.id, p.job.name, p.entry.timeoutMs);
    // Off the board as the try ends, before its ending is seen: no extra promise per try.
    return executeTry(p, () => watchdog.leave(slot));
  }

  async stop(): Promise<void> {
    await this.watchdog?.stop();
  }
}
