/**
 * The Lua scripts, one file per atomic operation, imported as text so they
 * are bundled into the compiled binary. lua/lib.lua is prepended to each.
 * ioredis `defineCommand` runs them with EVALSHA (EVAL on a connection's
 * first use, and again on NOSCRIPT after a Redis restart or SCRIPT FLUSH).
 * Every script takes exactly one KEYS entry (for routing); see its header.
 */

import type { ChainableCommander } from "ioredis";
import type Redis from "ioredis";
import lib from "./lua/lib.lua" with { type: "text" };
import appendLogs from "./lua/append-logs.lua" with { type: "text" };
import cancelHeld from "./lua/cancel-held.lua" with { type: "text" };
import cancelJob from "./lua/cancel-job.lua" with { type: "text" };
import complete from "./lua/complete.lua" with { type: "text" };
import enqueue from "./lua/enqueue.lua" with { type: "text" };
import extendLeases from "./lua/extend-leases.lua" with { type: "text" };
import fail from "./lua/fail.lua" with { type: "text" };
import leaderAcquire from "./lua/leader-acquire.lua" with { type: "text" };
import leaderRelease from "./lua/leader-release.lua" with { type: "text" };
import listJobs from "./lua/list-jobs.lua" with { type: "text" };
import listWorkers from "./lua/list-workers.lua" with { type: "text" };
import progress from "./lua/progress.lua" with { type: "text" };
import promoteDue from "./lua/promote-due.lua" with { type: "text" };
import release from "./lua/release.lua" with { type: "text" };
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

const SOURCES = {
  appendLogs,
  cancelHeld,
  cancelJob,
  complete,
  enqueue,
  extendLeases,
  fail,
  leaderAcquire,
  leaderRelease,
  listJobs,
  listWorkers,
  progress,
  promoteDue,
  release,
  removeJob,
  rescueExpired,
  reserve,
  resumeQueue,
  retryFailed,
  retryJob,
  scheduleRecordSlot,
  scheduleSetPaused,
  trim,
  waitCheck,
};

export type ScriptName = keyof typeof SOURCES;
export type ScriptArg = string | number;

const commandName = (name: ScriptName) => `qw_${name}`;

export function defineScripts(client: Redis): void {
  for (const name of Object.keys(SOURCES) as ScriptName[]) {
    client.defineCommand(commandName(name), { numberOfKeys: 1, lua: `${lib}\n${SOURCES[name]}` });
  }
}

type ScriptCall = (key: string, ...args: ScriptArg[]) => Promise<unknown>;

/** Runs a script now. */
export function runScript(client: Redis, name: ScriptName, key: string, args: ScriptArg[]): Promise<unknown> {
  return (client as unknown as Record<string, ScriptCall>)[commandName(name)](key, ...args);
}

/** Queues a script on a pipeline or MULTI. */
export function queueScript(batch: ChainableCommander, name: ScriptName, key: string, args: ScriptArg[]): void {
  (batch as unknown as Record<string, ScriptCall>)[commandName(name)](key, ...args);
}
