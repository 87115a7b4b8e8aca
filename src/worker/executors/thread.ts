/**
 * Thread mode's host: a Bun Worker running thread-entry.ts, which loads job
 * modules into the thread (with its own copy of the `qworker` SDK: the
 * main thread's plugin does not reach workers) and runs tries there. A
 * spinning thread is stopped by terminate() within a few ms while the
 * main event loop carries on (probed on Bun 1.4.5).
 */

import { threadEntry } from "../../core/entrypoints.ts";
import type { Host, HostExit } from "./host.ts";
import { decodeFromHost, encodeToHost, type ToHost, type Wire } from "./wire.ts";

export function startThreadHost(): Host {
  const worker = new Worker(threadEntry(), { workerData: { role: "jobs" } } as WorkerOptions);
  let lastError: string | undefined;
  let markReady!: () => void;
  let failReady!: (err: Error) => void;
  let markExited!: (exit: HostExit) => void;
  const ready = new Promise<void>((resolve, reject) => ((markReady = resolve), (failReady = reject)));
  ready.catch(() => {});
  const exited = new Promise<HostExit>((resolve) => (markExited = resolve));

  const host: Host & { exit: HostExit | undefined } = {
    kind: "thread",
    ready,
    exited,
    exit: undefined,
    loaded: new Set(),
    onMessage: undefined,
    onExit: undefined,
    send: (msg: ToHost) => worker.postMessage(encodeToHost(msg)),
    kill: async () => {
      if (!host.exit) worker.terminate();
      await exited;
    },
    memoryBytes: () => undefined,
  };
  worker.addEventListener("message", (ev: MessageEvent<Wire>) => {
    const m = decodeFromHost(ev.data);
    if (m.t === "ready") markReady();
    else host.onMessage?.(m);
  });
  worker.addEventListener("error", (ev: ErrorEvent) => {
    // Bun puts the formatted stack, with a source excerpt, in `message`; keep its first line.
    lastError = String(ev.message ?? "uncaught error").split("\n")[0];
    ev.preventDefault?.();
  });
  worker.addEventListener("close", (ev: Event) => {
    const exit: HostExit = { code: (ev as CloseEvent).code ?? null, error: lastError };
    host.exit = exit;
    failReady(new Error(`the thread exited with code ${exit.code} before it was ready${lastError ? `: ${lastError}` : ""}`));
    markExited(exit);
    host.onExit?.(exit);
  });
  return host;
}
