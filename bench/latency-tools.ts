/**
 * What every latency scenario needs, whichever system it drives: a board
 * that matches job-body timestamps to the sample awaiting them, a tracker
 * for "this job has finished" (so each sample starts on an idle worker),
 * and the summary (p50/p99/max/mean).
 */

import { jitteredPause, percentile, wallNow } from "./stats.ts";

/** Untimed jobs first (negative sequence numbers), so the first-call costs (JIT, script loading) are not counted as latency. */
export const WARM_UP = 10;

/** Matches job-body timestamps to the sample waiting for them, by sequence number. */
export class StampBoard {
  private waiting = new Map<number, (at: number) => void>();
  readonly hook = (seq: number, at: number) => {
    const w = this.waiting.get(seq);
    this.waiting.delete(seq);
    w?.(at);
  };

  next(seq: number): Promise<number> {
    return new Promise((resolve) => this.waiting.set(seq, resolve));
  }
}

/** Job ends, whether the end is reported before or after someone asks for it. */
export class Ends {
  private seen = new Set<string>();
  private waiters = new Map<string, () => void>();

  readonly end = (id: string) => {
    const w = this.waiters.get(id);
    if (w) {
      this.waiters.delete(id);
      w();
    } else this.seen.add(id);
  };

  wait(id: string): Promise<void> {
    if (this.seen.delete(id)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.set(id, resolve));
  }
}

export function summarizeLatency(samples: number[]): Record<string, number> {
  return {
    p50Ms: percentile(samples, 50),
    p99Ms: percentile(samples, 99),
    maxMs: Math.max(...samples),
    meanMs: samples.reduce((a, b) => a + b, 0) / samples.length,
  };
}

export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([promise, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]).finally(() => clearTimeout(timer));
}

export interface SampleLoop {
  samples: number;
  pauseMs: [number, number];
  stamps: StampBoard;
  /** Enqueues the job for sample `seq`; resolves to its id. */
  enqueue(seq: number): Promise<string>;
  /** When given, each sample waits for the previous job to end, so every sample starts on an idle worker. */
  ends?: Ends;
}

/** Times enqueue → job start, one job at a time, after untimed warm-up jobs; same loop for every system. */
export async function sampleLatency(l: SampleLoop): Promise<Record<string, number>> {
  const samples: number[] = [];
  for (let seq = -WARM_UP; seq < l.samples; seq++) {
    await jitteredPause(l.pauseMs[0], l.pauseMs[1]);
    const stamped = l.stamps.next(seq);
    const t0 = wallNow();
    const id = await l.enqueue(seq);
    const ms = (await withTimeout(stamped, 10_000, `job ${seq} did not start within 10 s`)) - t0;
    if (seq >= 0) samples.push(ms);
    await l.ends?.wait(id);
  }
  return summarizeLatency(samples);
}
