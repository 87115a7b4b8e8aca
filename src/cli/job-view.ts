/**
 * How a job reads on a terminal: its attempt as "attempt 2 of 3" from the
 * moment it starts, its error only while that error still matters (failed,
 * or waiting to retry), every attempt with its own error and the final one
 * marked, its timings, its log, and why a waiting job is not running when
 * no live worker has its job loaded. Every line is made inert: names,
 * messages and payloads come from job code or callers.
 */

import { formatDuration } from "../core/duration.ts";
import { inert, safeJson } from "../core/inert.ts";
import type { JobRecord } from "../core/types.ts";
import type { WorkerView } from "../ops/operations.ts";

/** "attempt 2 of 3" while it runs, "3 of 3 tries" once it is over, "not started" before. */
export function attemptText(j: JobRecord): string {
  if (j.state === "active") return `attempt ${j.attemptsMade + 1} of ${j.maxAttempts}`;
  if (j.attemptsMade === 0) return `0 of ${j.maxAttempts} tries`;
  return `${j.attemptsMade} of ${j.maxAttempts} tries`;
}

/** The error a user should read now: the last one, unless the job has moved past it (completed, cancelled, retried by hand). */
export function currentError(j: JobRecord): string | undefined {
  if (j.state !== "failed" && !(j.state === "delayed" && j.errors.length && j.attemptsMade > 0)) return undefined;
  return j.errors.at(-1)?.message;
}

/** Why a waiting job is not running, when the reason is that no live worker can run it. */
export function waitingReason(j: JobRecord, workers: WorkerView[] | undefined): string | undefined {
  if (!workers || (j.state !== "waiting" && j.state !== "delayed")) return undefined;
  const live = workers.filter((w) => w.alive);
  if (live.some((w) => w.jobs.includes(j.name) && w.queues.includes(j.queue))) return undefined;
  if (live.length === 0) return "no worker is running";
  return `no running worker has job \`${j.name}\` loaded${live.some((w) => w.jobs.includes(j.name)) ? ` for queue ${j.queue}` : ""}`;
}

export function describeJob(j: JobRecord, workers?: WorkerView[]): string {
  const iso = (ms?: number) => (ms === undefined ? "-" : new Date(ms).toISOString());
  const waitedMs = j.startedAt !== undefined ? j.startedAt - j.runAt : undefined;
  const ranMs = j.startedAt !== undefined && j.finishedAt !== undefined ? j.finishedAt - j.startedAt : undefined;
  const reason = waitingReason(j, workers);
  const lines = [
    `id:        ${j.id}`,
    `name:      ${j.name}`,
    `queue:     ${j.queue} (priority ${j.priority})`,
    `state:     ${j.state}${reason ? ` (${reason})` : ""}`,
    `tries:     ${attemptText(j)}${j.stalls ? `, stalled ${j.stalls}x` : ""}`,
    `created:   ${iso(j.createdAt)}`,
    `run at:    ${iso(j.runAt)}`,
    `started:   ${iso(j.startedAt)}${waitedMs !== undefined && waitedMs >= 0 ? `  (waited ${formatDuration(waitedMs)})` : ""}`,
    `finished:  ${iso(j.finishedAt)}${ranMs !== undefined && ranMs >= 0 ? `  (ran ${formatDuration(ranMs)})` : ""}`,
    `progress:  ${j.progress ? `${Math.round(j.progress.pct)}%${j.progress.msg ? ` ${j.progress.msg}` : ""}` : "-"}`,
    `payload:   ${safeJson(j.data)}`,
    `result:    ${j.result === undefined ? "-" : safeJson(j.result)}`,
  ];
  const tries = Math.max(j.attemptsMade + (j.state === "active" ? 1 : 0), ...j.errors.map((e) => e.attempt));
  if (tries > 0) {
    lines.push("attempts:");
    for (let n = 1; n <= tries; n++) {
      const errs = j.errors.filter((e) => e.attempt === n);
      const final = n === tries && (j.state === "failed" || j.state === "completed" || j.state === "cancelled") ? "  <- final" : "";
      if (j.state === "active" && n === tries) lines.push(`  ${n}  running since ${iso(j.startedAt)}`);
      else if (errs.length === 0) lines.push(`  ${n}  ${j.state === "completed" && n === tries ? "completed" : "ended without an error"}${final}`);
      for (const e of errs) {
        lines.push(`  ${n}  failed at ${iso(e.at)}: ${e.message}${final}`);
        for (const s of (e.stack ?? "").split("\n").slice(1, 6)) if (s.trim()) lines.push(`       ${s.trim()}`);
      }
    }
  }
  if (j.logs?.length) {
    lines.push(`log (last ${j.logs.length} lines):`);
    for (const l of j.logs) lines.push(`  ${new Date(l.at).toISOString().slice(11, 23)} ${l.level.toUpperCase().padEnd(5)} [try ${l.attempt}] ${l.msg}${l.fields ? ` ${safeJson(l.fields)}` : ""}`);
  }
  return lines.map((l) => inert(l)).join("\n") + "\n";
}
