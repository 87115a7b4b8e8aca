/**
 * Job modules are user code, and loading one runs its top level. Before a
 * module is imported for real, it is loaded once in a throwaway worker
 * thread (vet-thread.ts) under a time limit, so `validate`, `run` and a
 * reload never hang on a module that does not finish loading, nor end in
 * silence on one that calls `process.exit`: each is named as a load problem.
 * One thread loads the folder's modules in turn; after a timeout or a
 * crash it is replaced for the modules still to go. The cost is a few ms
 * per module, and each module's top level runs twice at start.
 */

import { formatDuration } from "../core/duration.ts";
import { threadEntry } from "../core/entrypoints.ts";
import type { VetReply } from "./vet-thread.ts";

export const DEFAULT_LOAD_TIMEOUT_MS = 10_000;

interface VetThread {
  ask(file: string, timeoutMs: number, signal?: AbortSignal): Promise<VetReply | { t: "timeout" } | { t: "exited"; code: number | null; error?: string }>;
  stop(): void;
}

function startVetThread(): VetThread {
  const worker = new Worker(threadEntry(), { workerData: { role: "vet" } } as WorkerOptions);
  let waiter: ((m: VetReply | { t: "exited"; code: number | null; error?: string }) => void) | undefined;
  let lastError: string | undefined;
  let exited: { t: "exited"; code: number | null; error?: string } | undefined;
  const ready = new Promise<void>((resolve) => (waiter = () => resolve()));
  worker.addEventListener("message", (ev: MessageEvent<VetReply>) => {
    const w = waiter;
    waiter = undefined;
    w?.(ev.data);
  });
  worker.addEventListener("error", (ev: ErrorEvent) => {
    lastError = String(ev.message ?? "uncaught error").split("\n")[0];
    ev.preventDefault?.();
  });
  worker.addEventListener("close", (ev: Event) => {
    exited = { t: "exited", code: (ev as CloseEvent).code ?? null, error: lastError };
    const w = waiter;
    waiter = undefined;
    w?.(exited);
  });
  return {
    async ask(file, timeoutMs, signal) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let onAbort: (() => void) | undefined;
      // A stop (SIGTERM during start-up) ends the wait as a timeout would; the caller sees the signal aborted.
      const timeout = new Promise<{ t: "timeout" }>((resolve) => {
        timer = setTimeout(() => resolve({ t: "timeout" }), timeoutMs);
        onAbort = () => resolve({ t: "timeout" });
        if (signal?.aborted) onAbort();
        else signal?.addEventListener("abort", onAbort, { once: true });
      });
      try {
        // The thread's own start counts against the first module's limit.
        const started = await Promise.race([ready.then(() => undefined), timeout]);
        if (started) return started;
        if (exited) return exited;
        const reply = new Promise<VetReply | { t: "exited"; code: number | null; error?: string }>((resolve) => (waiter = resolve));
        worker.postMessage({ file });
        return await Promise.race([reply, timeout]);
      } finally {
        clearTimeout(timer);
        if (onAbort) signal?.removeEventListener("abort", onAbort);
      }
    },
    stop() {
      waiter = undefined;
      worker.terminate();
    },
  };
}

/**
 * Loads each file in a worker thread within `timeoutMs`; returns the
 * problem of each file that hung, exited or crashed the thread. Files that
 * loaded, or failed with an ordinary error, are not in the map: the real
 * import reports those, with line and column.
 */
export async function vetModules(files: { path: string; specifier: string }[], timeoutMs = DEFAULT_LOAD_TIMEOUT_MS, signal?: AbortSignal): Promise<Map<string, string>> {
  const problems = new Map<string, string>();
  if (files.length === 0) return problems;
  let thread: VetThread | undefined;
  try {
    for (const file of files) {
      thread ??= startVetThread();
      const reply = await thread.ask(file.specifier, timeoutMs, signal);
      signal?.throwIfAborted();
      if (reply.t === "loaded" || reply.t === "ready") continue;
      if (reply.t === "failed") {
        if (reply.exitCode !== undefined) problems.set(file.path, `called process.exit(${reply.exitCode}) while loading; a job module must not exit the process (throw an error instead)`);
        continue;
      }
      // The thread is spent (stuck in the module, or gone): the next module gets a fresh one.
      thread.stop();
      thread = undefined;
      if (reply.t === "timeout") {
        problems.set(file.path, `did not finish loading within ${formatDuration(timeoutMs)} (a top-level loop, or an await that never settles?); raise jobLoadTimeout if it is only slow`);
      } else {
        problems.set(file.path, `crashed while loading (thread exit code ${reply.code ?? "?"})${reply.error ? `: ${reply.error}` : ""}`);
      }
    }
  } finally {
    thread?.stop();
  }
  return problems;
}
