/**
 * Runs a Runtime until a signal, for `run` and for the process-mode child
 * (`__worker`). Signals are handled from the first moment: one that
 * arrives during start-up stops the runtime once it is up. The first
 * SIGTERM/SIGINT drains gracefully and exits 0; a second aborts running
 * jobs at once (they go back without spending an attempt).
 */

import { Runtime, type RuntimeOptions } from "../app/runtime.ts";
import { systemdLifecycle } from "../systemd/lifecycle.ts";

export interface ServeHooks {
  afterStart?(runtime: Runtime, stop: () => void): Promise<void> | void;
  /** False for process-mode children: the terminal and the supervisor may both signal them; only the supervisor's IPC hurries. */
  hurryOnSecondSignal?: boolean;
}

export async function serve(opts: RuntimeOptions, hooks: ServeHooks = {}): Promise<never> {
  const { log } = opts;
  let signals = 0;
  let runtime: Runtime | undefined;
  // Until the runtime is up, a stop signal cuts start-up short: nothing runs yet that needs draining.
  const starting = new AbortController();
  const systemd = systemdLifecycle(log);
  const stop = () => {
    systemd.stopping(runtime);
    void runtime!.stop().then(() => process.exit(0));
  };
  const onSignal = (sig: string) => {
    signals += 1;
    if (!runtime) {
      if (signals === 1) log.info(`${sig} received during start-up: stopping`);
      starting.abort(new Error(`${sig} during start-up`));
    } else if (signals === 1 || hooks.hurryOnSecondSignal === false) {
      if (signals === 1) log.info(`${sig} received: finishing running jobs${hooks.hurryOnSecondSignal === false ? "" : " (send it again to stop at once)"}`);
      stop();
    } else {
      log.warn(`${sig} received again: aborting running jobs; they go back to their queue`);
      runtime?.hurry();
    }
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  // SIGHUP (systemctl reload) reloads job modules and schedules in place; before start-up ends it is ignored,
  // since the modules being loaded are already the newest.
  process.on("SIGHUP", () => {
    if (!runtime || signals > 0) return;
    log.info("SIGHUP received: reloading job modules and schedules");
    systemd.reloading();
    void runtime.reload().then(() => systemd.ready(runtime!));
  });

  try {
    runtime = await Runtime.start({ ...opts, startSignal: starting.signal });
  } catch (err) {
    if (!starting.signal.aborted) throw err;
    log.info("stopped during start-up, before any job ran");
    process.exit(0);
  }
  systemd.ready(runtime);
  if (signals > 0) stop();
  else await hooks.afterStart?.(runtime, stop);
  return new Promise<never>(() => {});
}
