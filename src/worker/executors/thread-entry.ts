/**
 * The entry file of every worker thread qworker starts, and a second
 * entrypoint of the compiled binary (build.ts): a Worker cannot be pointed
 * at a module that is not one. `workerData.role` picks what the thread is:
 * a job host (thread mode), the event-loop watchdog of async mode, the
 * parent watch of a child process (core/parent-watch.ts), or the throwaway
 * loader that vets job modules before they are imported (registry/vet.ts).
 */

import { workerData } from "node:worker_threads";

declare const self: Worker;

const data = (workerData ?? {}) as { role?: string };
if (data.role === "watchdog") {
  const { runLoopWatchdog } = await import("../loop-watchdog-thread.ts");
  runLoopWatchdog(workerData);
} else if (data.role === "vet") {
  const { runVetter } = await import("../../registry/vet-thread.ts");
  runVetter(
    (reply) => self.postMessage(reply),
    (fn) => {
      self.onmessage = (ev: MessageEvent) => fn(ev.data);
    },
  );
} else if (data.role === "parent-watch") {
  const { runParentWatch } = await import("../../core/parent-watch.ts");
  runParentWatch(workerData);
} else {
  const { runJobHost } = await import("./job-host.ts");
  const { decodeToHost, encodeFromHost } = await import("./wire.ts");
  runJobHost({
    send: (msg) => self.postMessage(encodeFromHost(msg)),
    listen: (fn) => {
      self.onmessage = (ev: MessageEvent) => fn(decodeToHost(ev.data));
    },
  });
}
