/**
 * `enqueue --wait`: follows a job to its end. On a terminal it draws one
 * live line (state and progress bar) that redraws in place; anywhere else
 * (a pipe, a CI log) it prints a plain line each time the state, progress
 * or message changes, never a carriage return. Polls with a delay that
 * grows from 20 ms to 250 ms, so a quick job is seen at once and a long one
 * costs four reads a second. It never waits in silence: when no live worker
 * has the job loaded, it says so (and keeps waiting, since one may come),
 * and `timeoutMs` ends the wait with exit 3.
 */

import { formatDuration } from "../core/duration.ts";
import { StoreUnavailableError } from "../core/errors.ts";
import { inert } from "../core/inert.ts";
import type { JobRecord } from "../core/types.ts";
import type { Operations } from "../ops/operations.ts";
import { waitingReason } from "./job-view.ts";
import { progressBar } from "./output.ts";

/** After this long without a start, look for a worker that can run the job, and say so if there is none. */
const NO_WORKER_CHECK_MS = 1_500;

/** `--wait --timeout` ran out: exit 3, as for a store that did not answer in time. */
export class WaitTimeout extends StoreUnavailableError {}

const FINAL = new Set(["completed", "failed", "cancelled"]);

export interface FollowOutput {
  /** Where the live line goes (stderr: stdout keeps the final result clean). */
  write(text: string): void;
  /** A terminal: redraw in place. */
  tty: boolean;
  /** Print nothing while following (`--json`). */
  quiet: boolean;
  /** Give up after this long (WaitTimeout); the job stays enqueued. */
  timeoutMs?: number;
  sleep?(ms: number): Promise<void>;
}

export async function followJob(ops: Pick<Operations, "getJob" | "workers">, id: string, out: FollowOutput): Promise<JobRecord> {
  const sleep = out.sleep ?? ((ms: number) => Bun.sleep(ms));
  const tty = out.tty && !out.quiet;
  const { timeoutMs } = out;
  const started = performance.now();
  let checkedWorkers = false;
  let last = "";
  for (let delay = 20; ; delay = Math.min(250, delay * 2)) {
    const job = await ops.getJob(id);
    const line = progressLine(job);
    if (!out.quiet && line !== last) {
      out.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
      last = line;
    }
    if (FINAL.has(job.state)) {
      if (tty) out.write("\n");
      return job;
    }
    const waited = performance.now() - started;
    if (!checkedWorkers && waited >= NO_WORKER_CHECK_MS && (job.state === "waiting" || job.state === "delayed")) {
      checkedWorkers = true;
      const reason = waitingReason(job, await ops.workers().catch(() => undefined));
      if (reason) {
        // Said even with --json (quiet): it goes to stderr, and a silent wait is what this prevents.
        const hint = `qworker: job ${inert(id)} is ${job.state}: ${inert(reason)}; start one with \`qworker run\`. Still waiting${timeoutMs === undefined ? " (--timeout to give up)" : ""}.`;
        out.write(`${tty ? "\r\x1b[2K" : ""}${hint}\n`);
        last = "";
      }
    }
    if (timeoutMs !== undefined && waited >= timeoutMs) {
      if (tty) out.write("\n");
      throw new WaitTimeout(`job ${id} is still ${job.state} after ${formatDuration(timeoutMs)}; it stays enqueued (qworker jobs show ${id})`);
    }
    await sleep(timeoutMs === undefined ? delay : Math.min(delay, Math.max(1, timeoutMs - waited)));
  }
}

export function progressLine(job: JobRecord): string {
  const pct = job.progress?.pct ?? (job.state === "completed" ? 100 : 0);
  return `${inert(job.name)} ${inert(job.id.slice(0, 12))} ${job.state.padEnd(9)} ${progressBar(pct, job.progress?.msg)}`;
}
