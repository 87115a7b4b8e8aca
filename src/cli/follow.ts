/**
 * `enqueue --wait`: follows a job to its end. On a terminal it draws one
 * live line (state and progress bar) that redraws in place; anywhere else
 * (a pipe, a CI log) it prints a plain line each time the state, progress
 * or message changes, never a carriage return. Polls with a delay that
 * grows from 20 ms to 250 ms, so a quick job is seen at once and a long one
 * costs four reads a second.
 */

import { inert } from "../core/inert.ts";
import type { JobRecord } from "../core/types.ts";
import type { Operations } from "../ops/operations.ts";
import { progressBar } from "./output.ts";

const FINAL = new Set(["completed", "failed", "cancelled"]);

export interface FollowOutput {
  /** Where the live line goes (stderr: stdout keeps the final result clean). */
  write(text: string): void;
  /** A terminal: redraw in place. */
  tty: boolean;
  /** Print nothing while following (`--json`). */
  quiet: boolean;
  sleep?(ms: number): Promise<void>;
}

export async function followJob(ops: Pick<Operations, "getJob">, id: string, out: FollowOutput): Promise<JobRecord> {
  const sleep = out.sleep ?? ((ms: number) => Bun.sleep(ms));
  const tty = out.tty && !out.quiet;
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
    await sleep(delay);
  }
}

export function progressLine(job: JobRecord): string {
  const pct = job.progress?.pct ?? (job.state === "completed" ? 100 : 0);
  return `${inert(job.name)} ${inert(job.id.slice(0, 12))} ${job.state.padEnd(9)} ${progressBar(pct, job.progress?.msg)}`;
}
