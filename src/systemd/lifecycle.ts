/**
 * The few lines `serve` needs to keep systemd informed: a notifier made
 * from the environment (inert without NOTIFY_SOCKET), READY=1 with the
 * runtime's status once Runtime.start has resolved (store reachable, jobs
 * loaded, admin port bound), STOPPING=1 when the drain starts.
 */

import type { Runtime } from "../app/runtime.ts";
import type { Logger } from "../core/logger.ts";
import { SystemdNotifier } from "./notifier.ts";
import { runtimeStatus } from "./runtime-status.ts";

export interface SystemdLifecycle {
  readonly notifier: SystemdNotifier;
  ready(runtime: Runtime): void;
  /** RELOADING=1 before a reload; `ready()` again when it is done. */
  reloading(): void;
  stopping(runtime: Runtime | undefined): void;
}

/** Call once, before anything spawns: it takes NOTIFY_SOCKET and WATCHDOG_* out of the environment. */
export function systemdLifecycle(log: Logger): SystemdLifecycle {
  const notifier = new SystemdNotifier({ log });
  return {
    notifier,
    ready: (runtime) => notifier.ready(runtimeStatus(runtime)),
    reloading: () => notifier.reloading(),
    stopping: (runtime) => notifier.stopping(`stopping: finishing ${runtime?.pool?.activeCount ?? 0} running jobs`),
  };
}
