/**
 * How `qworker status` (and `status --watch`, and `queues`) read on a
 * terminal: the queues with counts per state and their rates (tries
 * finished per minute over the last minute, and in the last hour, summed
 * from the workers' own counts), the workers, and the scheduler leader.
 * Pure: a StatusReport and a time in, text out, so --watch redraws the
 * same text and tests read it without a server.
 */

import type { StatusReport } from "../ops/operations.ts";
import { perMinute } from "../stats/throughput.ts";
import { ago, table } from "./output.ts";

export function queuesTable(report: StatusReport, now: number): string {
  const rates = new Map(report.throughput.queues.map((t) => [t.queue, t]));
  const sum = (s: number[] | undefined) => (s ?? []).reduce((a, b) => a + b, 0);
  const rate = (s: number[] | undefined) => perMinute(s ?? [], now).toFixed(1);
  return table(
    ["queue", "waiting", "delayed", "active", "completed", "failed", "cancelled", "paused", "done/min", "failed/min", "done 1h", "failed 1h"],
    report.queues.map((q) => {
      const t = rates.get(q.queue);
      return [q.queue, q.waiting, q.delayed, q.active, q.completed, q.failed, q.cancelled, q.paused ? "yes" : "no", rate(t?.completed), rate(t?.failed), sum(t?.completed), sum(t?.failed)];
    }),
    { right: [1, 2, 3, 4, 5, 6, 8, 9, 10, 11] },
  );
}

export function workersTable(report: StatusReport, now: number): string {
  if (report.workers.length === 0) return "workers: none running";
  return table(
    ["worker", "state", "role", "mode", "queues", "running", "started", "heartbeat"],
    report.workers.map((w) => [
      w.id,
      // A lapsed heartbeat: the process is gone or hung; its jobs are handed out again by the scheduler.
      w.alive ? "live" : "dead",
      w.role,
      w.mode,
      w.queues.join(","),
      w.alive ? `${w.running.length}/${w.concurrency}` : `${w.running.length} stalled`,
      ago(w.startedAt, now),
      ago(w.heartbeatAt, now),
    ]),
  );
}

/** Flow keys holding jobs back (issue 20): how many wait and for how long, and why (slots full, or a start time ahead). */
export function flowTable(report: StatusReport, now: number): string | undefined {
  const limited = report.flow?.limited ?? [];
  if (limited.length === 0) return undefined;
  return table(
    ["limited key", "running", "next start", "waiting", "oldest waiting since"],
    limited.map((k) => [
      k.key,
      k.max === undefined ? k.active : `${k.active}/${k.max}`,
      k.nextAt > now ? `in ${Math.ceil((k.nextAt - now) / 100) / 10}s` : "now",
      k.waiting,
      ago(k.waitingSince, now),
    ]),
    { right: [1, 3] },
  );
}

export function statusText(report: StatusReport, now: number, storeLabel: string): string {
  const flow = flowTable(report, now);
  return [
    `store: ${storeLabel}`,
    "",
    queuesTable(report, now),
    "",
    ...(flow ? [flow, ""] : []),
    workersTable(report, now),
    "",
    report.leader ? `scheduler leader: ${report.leader.holder} (token ${report.leader.token})` : "scheduler leader: none",
  ].join("\n");
}
