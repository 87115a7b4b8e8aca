/**
 * Ends a child process of qworker (a job host, a supervised worker) when
 * its parent is gone. The child's own event loop cannot be trusted with
 * that: a job spinning in `for (;;) {}` blocks it, and a parent killed with
 * SIGKILL cannot stop it, so it would spin on as an orphan forever (seen in
 * testing). A tiny worker thread, which no job blocks, checks the parent
 * pid twice a second. When it changes, it sends SIGTERM (for a graceful
 * stop) or, when `graceMs` is 0, SIGKILL; a process still there `graceMs`
 * later gets SIGKILL.
 */

import { threadEntry } from "./entrypoints.ts";

export interface ParentWatchData {
  role: "parent-watch";
  parent: number;
  graceMs: number;
}

export function watchParent(graceMs: number): void {
  const data: ParentWatchData = { role: "parent-watch", parent: process.ppid, graceMs };
  const thread = new Worker(threadEntry(), { workerData: data } as WorkerOptions);
  (thread as { unref?: () => void }).unref?.();
}

/** The thread's side (thread-entry.ts starts it). */
export function runParentWatch(data: ParentWatchData): void {
  const timer = setInterval(() => {
    if (process.ppid === data.parent) return;
    clearInterval(timer);
    if (data.graceMs <= 0) {
      process.kill(process.pid, "SIGKILL");
      return;
    }
    process.kill(process.pid, "SIGTERM");
    setTimeout(() => process.kill(process.pid, "SIGKILL"), data.graceMs);
  }, 500);
}
