/**
 * How the bench configures BullMQ, shared by the scenarios and the drain
 * worker process (kept apart so that process loads nothing else).
 */

import type { SystemName } from "./types.ts";

/** qworker's default retention, as a careful BullMQ user sets it on the Worker. */
export const RETENTION = { removeOnComplete: { count: 1_000 }, removeOnFail: { age: 7 * 86_400 } };

export function workerOptions(system: SystemName | string): object {
  return system === "bullmq" ? RETENTION : {};
}

export function connection(url: string) {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port), maxRetriesPerRequest: null };
}
