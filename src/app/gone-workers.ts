/**
 * At start, forgets the registrations of workers of this host whose process
 * is gone (a crash, a kill -9, a reboot), so `status` lists only workers
 * that exist. A record is only dropped once its jobs are no longer its
 * own: either it held none, or it lapsed more than a lease ago (the
 * rescuer has taken its jobs back by then). A record whose jobs still wait
 * for rescue is left for the rescuer, which finds them through it sooner
 * than through their leases.
 */

import { hostname } from "node:os";
import { toError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import type { Store } from "../store/store.ts";

export async function forgetGoneWorkers(p: { store: Store; now: number; leaseMs: number; log: Logger; host?: string }): Promise<string[]> {
  const host = p.host ?? hostname();
  const removed: string[] = [];
  try {
    for (const w of await p.store.listWorkers({ now: p.now })) {
      if (w.host !== host || w.pid === process.pid || pidAlive(w.pid)) continue;
      if (w.running.length > 0 && w.expiresAt > p.now - p.leaseMs) continue;
      await p.store.workerRemove(w.id);
      removed.push(w.id);
    }
  } catch (err) {
    p.log.warn("could not clear the records of gone workers of this host", { error: toError(err).message });
  }
  if (removed.length) p.log.info("forgot the records of gone workers of this host", { workers: removed.join(",") });
  return removed;
}

/** Whether a process with this pid exists here (EPERM: it does, but is not ours). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
