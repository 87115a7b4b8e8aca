/**
 * The Lua scripts, one file per atomic operation, imported as text so they
 * are bundled into the compiled binary.
 * ioredis `defineCommand` runs them with EVALSHA (EVAL on a connection's
 * first use, and again on NOSCRIPT after a Redis restart or SCRIPT FLUSH).
 * Every script takes exactly one KEYS entry (for routing); see its header.
 * The shared helpers lua/lib.lua, lib-index.lua, lib-flow.lua and
 * lib-jobs.lua are prepended to each, in that order.
 *
 * Each script declares, in a Redis 7 shebang (`#!lua flags=...`), how it
 * behaves when Redis is over `maxmemory` (noeviction):
 * - no flag: refused before it runs. Claims (reserve) and new jobs
 *   (enqueue, stage) are refused whole, so no job starts whose outcome
 *   could not be written, and no batch is stored in part.
 * - `allow-oom`: runs anyway. Outcomes of tries that ran (complete, fail,
 *   cancel-held, release), lease renewals, heartbeats, leader renewals and
 *   everything that frees memory (trim, remove, rescue, abort) must not be
 *   refused by a full Redis; they overshoot maxmemory by at most the jobs
 *   in flight.
 * - `no-writes`: read-only (listing).
 * Redis before 7.0 knows no shebang: there the scripts run without one
 * (`legacy`), with Redis's old rule of refusing a script's first write
 * that needs memory.
 */

import type { ChainableCommander } from "ioredis";
import type { Cluster } from "ioredis";
import type Redis from "ioredis";
import lib from "./lua/lib.lua" with { type: "text" };
import libIndex from "./lua/lib-index.lua" with { type: "text" };
import libFlow from "./lua/lib-flow.lua" with { type: "text" };
import libJobs from "./lua/lib-jobs.lua" with { type: "text" };
import appendLogs from "./lua/append-logs.lua" with { type: "text" };
import cancelHeld from "./lua/cancel-held.lua" with { type: "text" };
import cancelJob from "./lua/cancel-job.lua" with { type: "text" };
import complete from "./lua/complete.lua" with { type: "text" };
import enqueue from "./lua/enqueue.lua" with { type: "text" };
import enqueueAbort from "./lua/enqueue-abort.lua" with { type: "text" };
import enqueuePublish from "./lua/enqueue-publish.lua" with { type: "text" };
import enqueueStage from "./lua/enqueue-stage.lua" with { type: "text" };
import extendLeases from "./lua/extend-leases.lua" with { type: "text" };
import fail from "./lua/fail.lua" with { type: "text" };
import heartbeat from "./lua/heartbeat.lua" with { type: "text" };
import leaderAcquire from "./lua/leader-acquire.lua" with { type: "text" };
import leaderRelease from "./lua/leader-release.lua" with { type: "text" };
import listJobs from "./lua/list-jobs.lua" with { type: "text" };
import listWorkers from "./lua/list-workers.lua" with { type: "text" };
import progress from "./lua/progress.lua" with { type: "text" };
import promoteDue from "./lua/promote-due.lua" with { type: "text" };
import release from "./lua/release.lua" with { type: "text" };
import flowStatus from "./lua/flow-status.lua" with { type: "text" };
import removeJob from "./lua/remove-job.lua" with { type: "text" };
import rescueExpired from "./lua/rescue-expired.lua" with { type: "text" };
import reserve from "./lua/reserve.lua" with { type: "text" };
import resumeQueue from "./lua/resume-queue.lua" with { type: "text" };
import retryFailed from "./lua/retry-failed.lua" with { type: "text" };
import retryJob from "./lua/retry-job.lua" with { type: "text" };
import scheduleRecordSlot from "./lua/schedule-record-slot.lua" with { type: "text" };
import scheduleSetPaused from "./lua/schedule-set-paused.lua" with { type: "text" };
import trim from "./lua/trim.lua" with { type: "text" };
import waitCheck from "./lua/wait-check.lua" with { type: "text" };

type Flags = "" | "allow-oom" | "no-writes";

const SCRIPTS = {
  appendLogs: [appendLogs, ""],
  cancelHeld: [cancelHeld, "allow-oom"],
  cancelJob: [cancelJob, ""],
  complete: [complete, "allow-oom"],
  enqueue: [enqueue, ""],
  enqueueAbort: [enqueueAbort, "allow-oom"],
  enqueuePublish: [enqueuePublish, "allow-oom"],
  enqueueStage: [enqueueStage, ""],
  extendLeases: [extendLeases, "allow-oom"],
  fail: [fail, "allow-oom"],
  heartbeat: [heartbeat, "allow-oom"],
  leaderAcquire: [leaderAcquire, "allow-oom"],
  leaderRelease: [leaderRelease, "allow-oom"],
  listJobs: [listJobs, "no-writes"],
  listWorkers: [listWorkers, "allow-oom"],
  progress: [progress, ""],
  promoteDue: [promoteDue, ""],
  release: [release, "allow-oom"],
  removeJob: [removeJob, "allow-oom"],
  rescueExpired: [rescueExpired, "allow-oom"],
  reserve: [reserve, ""],
  resumeQueue: [resumeQueue, ""],
  retryFailed: [retryFailed, ""],
  retryJob: [retryJob, ""],
  scheduleRecordSlot: [scheduleRecordSlot, ""],
  scheduleSetPaused: [scheduleSetPaused, ""],
  trim: [trim, "allow-oom"],
  waitCheck: [waitCheck, ""],
  flowStatus: [flowStatus, "no-writes"],
} satisfies Record<string, [string, Flags]>;

export type ScriptName = keyof typeof SCRIPTS;
export type ScriptArg = string | number;
export type Client = Redis | Cluster;

const commandName = (name: ScriptName) => `qw_${name}`;

/** The source Redis runs for a script: with its shebang on Redis 7+, without on older servers. */
export function scriptSource(name: ScriptName, legacy = false): string {
  const [body, flags] = SCRIPTS[name];
  const shebang = legacy ? "" : `#!lua${flags ? ` flags=${flags}` : ""}\n`;
  return `${shebang}${lib}\n${libIndex}\n${libFlow}\n${libJobs}\n${body}`;
}

export function defineScripts(client: Client, legacy = false): void {
  for (const name of Object.keys(SCRIPTS) as ScriptName[]) {
    client.defineCommand(commandName(name), { numberOfKeys: 1, lua: scriptSource(name, legacy) });
  }
}

type ScriptCall = (key: string, ...args: ScriptArg[]) => Promise<unknown>;

/** Runs a script now. */
export function runScript(client: Client, name: ScriptName, key: string, args: ScriptArg[]): Promise<unknown> {
  return (client as unknown as Record<string, ScriptCall>)[commandName(name)](key, ...args);
}

/** Queues a script on a pipeline. */
export function queueScript(batch: ChainableCommander, name: ScriptName, key: string, args: ScriptArg[]): void {
  (batch as unknown as Record<string, ScriptCall>)[commandName(name)](key, ...args);
}
