/**
 * Thread and process modes: runs one try on a job host (a worker thread or
 * a child process from a HostPool) and turns what happens there into a
 * TryEnding, exactly as async mode's execute.ts does in the event loop.
 *
 * 1. `ctx` works the same: progress, log lines and follow-up enqueues come
 *    over the host's channel and go to the pool's callbacks (so the store
 *    is only ever touched by the pool); the result comes back as JSON.
 * 2. Hard timeout: at the job's timeout `ctx.signal` aborts inside the
 *    host (as in async mode; on a host's first try of a job the clock
 *    starts once the module has loaded, so loading is not charged to the
 *    try, and a module that never loads times out after `moduleLoadMs`
 *    more); a try still running a grace period later is
 *    stopped for real (thread terminated, child SIGKILLed), counts as
 *    failed with the abort's reason ("timed out after 1s"), and the host is
 *    replaced. Cancel, lost lease and shutdown abort the same way.
 * 3. Crash isolation: a host that dies during a try (process.exit, an
 *    uncaught error, a signal) ends only that try, as `crashed` (a stall,
 *    see outcome.ts); the host pool replaces it with a growing delay.
 * 4. Memory: with a `maxMemoryMb`, a try that passes it is stopped and
 *    counts as failed (memory-watch.ts says how each kind is measured).
 */

import { toError } from "../../core/errors.ts";
import type { ExecMode } from "../../sdk/define-job.ts";
import { TimedOut } from "../../sdk/errors.ts";
import type { ExecuteParams, TryEnding } from "../execute.ts";
import type { Executor } from "./executor.ts";
import { describeExit, type Host } from "./host.ts";
import type { HostPool } from "./host-pool.ts";
import { MemoryLimitExceeded, MemoryWatch } from "./memory-watch.ts";
import { fromWireError, toWireError, type FromHost } from "./wire.ts";

export interface RemoteExecutorOptions {
  mode: Exclude<ExecMode, "async">;
  hosts: HostPool;
  /** maxMemoryMb for jobs that set none; undefined: no limit. */
  maxMemoryMb?: number;
  /** Time a job module may take to load on a host, on top of the try's timeout (default 30 s). */
  moduleLoadMs?: number;
}

const MODULE_LOAD_MS = 30_000;

export class RemoteExecutor implements Executor {
  readonly mode: Exclude<ExecMode, "async">;
  private readonly memory = new MemoryWatch();

  constructor(private readonly opts: RemoteExecutorOptions) {
    this.mode = opts.mode;
  }

  async run(p: ExecuteParams): Promise<TryEnding> {
    const { controller } = p;
    let host: Host;
    try {
      host = await this.opts.hosts.acquire(controller.signal);
    } catch (err) {
      // Aborted while waiting for a host (shutdown, cancel), or no host could start.
      return { ok: false, error: controller.signal.aborted ? toError(controller.signal.reason) : toError(err) };
    }
    return this.runOn(host, p);
  }

  stop(): Promise<void> {
    return this.opts.hosts.stop();
  }

  private runOn(host: Host, p: ExecuteParams): Promise<TryEnding> {
    const { entry, job, controller } = p;
    const hosts = this.opts.hosts;
    const kind = host.kind;
    return new Promise<TryEnding>((resolve) => {
      let timeout: ReturnType<typeof setTimeout> | undefined;
      let kill: ReturnType<typeof setTimeout> | undefined;
      let unwatch: (() => void) | undefined;
      let over = false;

      const end = (ending: TryEnding, then: "release" | "discard" | "crashed") => {
        if (over) return;
        over = true;
        clearTimeout(timeout);
        clearTimeout(kill);
        unwatch?.();
        controller.signal.removeEventListener("abort", onAbort);
        host.onMessage = undefined;
        host.onExit = undefined;
        if (then === "release") hosts.release(host);
        else if (then === "discard") hosts.discard(host);
        else hosts.crashed(host);
        resolve(ending);
      };

      const onAbort = () => {
        const reason = controller.signal.reason;
        host.send({ t: "abort", id: job.id, reason: toWireError(reason) });
        kill = setTimeout(() => {
          p.log.warn(`the try ignored its aborted signal (${toError(reason).message}); its ${kind === "thread" ? "thread" : "child process"} was stopped after a ${p.abandonAfterMs} ms grace`);
          end({ ok: false, error: toError(reason) }, "discard");
        }, p.abandonAfterMs);
      };

      const startClock = (extraMs: number) => {
        clearTimeout(timeout);
        timeout = setTimeout(() => controller.abort(new TimedOut(entry.timeoutMs)), entry.timeoutMs + extraMs);
      };

      host.onMessage = (m: FromHost) => {
        if (!("id" in m) || m.id !== job.id) return; // a line left over from an earlier try on this host
        switch (m.t) {
          case "loaded":
            host.loaded.add(entry.module);
            if (!controller.signal.aborted) startClock(0);
            return;
          case "progress":
            p.progress(m.pct, m.msg);
            return;
          case "log":
            p.log[m.level](m.msg, m.fields);
            return;
          case "enqueue":
            p.enqueue(m.name, m.data, m.opts).then(
              (id) => !over && host.send({ t: "enqueued", req: m.req, id }),
              (err) => !over && host.send({ t: "enqueued", req: m.req, error: toWireError(err) }),
            );
            return;
          case "done":
            end(m.ok ? { ok: true, result: m.result } : { ok: false, error: fromWireError(m.error) }, "release");
            return;
        }
      };

      host.onExit = (exit) => {
        const why = describeExit(kind, exit);
        p.log.error(`${why}; the try counts as a stall`);
        end({ ok: false, error: new Error(why), crashed: true }, "crashed");
      };

      const limitMb = entry.maxMemoryMb ?? this.opts.maxMemoryMb;
      if (limitMb !== undefined) {
        const baseline = process.memoryUsage.rss();
        unwatch = this.memory.watch({
          limitBytes: limitMb * 1_048_576,
          measure: kind === "process" ? () => host.memoryBytes() : () => process.memoryUsage.rss() - baseline,
          onExceeded: (used) => {
            const error = new MemoryLimitExceeded(limitMb, used, kind);
            p.log.error(error.message);
            end({ ok: false, error }, "discard");
          },
        });
      }

      host.send({
        t: "run",
        file: entry.module,
        id: job.id,
        name: job.name,
        queue: job.queue,
        attempt: job.attemptsMade + 1,
        maxAttempts: job.maxAttempts,
        data: job.data,
      });
      startClock(host.loaded.has(entry.module) ? 0 : (this.opts.moduleLoadMs ?? MODULE_LOAD_MS));
      if (controller.signal.aborted) onAbort();
      else controller.signal.addEventListener("abort", onAbort, { once: true });
    });
  }
}
