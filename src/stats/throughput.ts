/**
 * Throughput without a store query per job. A worker counts the tries it
 * finishes per queue and minute (ThroughputCounter: one array increment per
 * job) and publishes the last hour with its heartbeat; readers sum the
 * fleet's records (fleetThroughput) into one series per queue. A try counts
 * as completed, or as failed when it threw (retried or failed for good).
 *
 * The history lives with the workers: a worker that stops takes its counts
 * with it, and a dead one's stay as long as its record (DEAD_WORKER_KEEP_MS).
 */

import { THROUGHPUT_MINUTES, type WorkerRecord, type WorkerThroughput } from "../core/types.ts";

const MINUTE = 60_000;

export const minuteOf = (ms: number): number => Math.floor(ms / MINUTE) * MINUTE;

/** The worker's side: counts per queue in a ring of THROUGHPUT_MINUTES minutes. */
export class ThroughputCounter {
  private readonly rings = new Map<string, { completed: Float64Array; failed: Float64Array }>();
  /** The minute the ring slot `index(latest)` counts. */
  private latest = 0;

  /** One finished try. */
  record(queue: string, ok: boolean, now: number): void {
    this.advance(now);
    let ring = this.rings.get(queue);
    if (!ring) {
      ring = { completed: new Float64Array(THROUGHPUT_MINUTES), failed: new Float64Array(THROUGHPUT_MINUTES) };
      this.rings.set(queue, ring);
    }
    (ok ? ring.completed : ring.failed)[slot(this.latest)]++;
  }

  /** The last hour, oldest minute first, ending with the minute of `now`; undefined before the first try. */
  snapshot(now: number): WorkerThroughput | undefined {
    if (this.rings.size === 0) return undefined;
    this.advance(now);
    const queues: WorkerThroughput["queues"] = {};
    for (const [queue, ring] of this.rings) queues[queue] = [ordered(ring.completed, this.latest), ordered(ring.failed, this.latest)];
    return { minute: this.latest, queues };
  }

  /** Moves to the minute of `now`, zeroing the slots of the minutes skipped (at most a whole ring). */
  private advance(now: number): void {
    const minute = minuteOf(now);
    if (minute <= this.latest) return;
    const steps = this.latest === 0 ? THROUGHPUT_MINUTES : Math.min(THROUGHPUT_MINUTES, (minute - this.latest) / MINUTE);
    for (let i = 1; i <= steps; i++) {
      const s = slot(minute - (steps - i) * MINUTE);
      for (const ring of this.rings.values()) ring.completed[s] = ring.failed[s] = 0;
    }
    this.latest = minute;
  }
}

function slot(minute: number): number {
  return (minute / MINUTE) % THROUGHPUT_MINUTES;
}

/** The ring as a plain array, oldest first, trimmed of the leading zeros (they cost heartbeat bytes). */
function ordered(ring: Float64Array, latest: number): number[] {
  const out: number[] = [];
  for (let i = THROUGHPUT_MINUTES - 1; i >= 0; i--) out.push(ring[slot(latest - i * MINUTE)]);
  let first = 0;
  while (first < out.length - 1 && out[first] === 0) first++;
  return out.slice(first);
}

/** One queue's fleet-wide series: THROUGHPUT_MINUTES entries, the last one the current minute. */
export interface QueueThroughput {
  queue: string;
  completed: number[];
  failed: number[];
}

export interface FleetThroughput {
  /** Epoch ms of the start of the minute the last entry counts. */
  minute: number;
  queues: QueueThroughput[];
}

/** Sums the workers' published counts per queue and minute, aligned to the minute of `now`. */
export function fleetThroughput(workers: readonly WorkerRecord[], now: number): FleetThroughput {
  const minute = minuteOf(now);
  const byQueue = new Map<string, QueueThroughput>();
  for (const w of workers) {
    const t = w.throughput;
    if (!t || typeof t.minute !== "number" || !t.queues) continue;
    for (const [queue, pair] of Object.entries(t.queues)) {
      if (!Array.isArray(pair)) continue;
      let q = byQueue.get(queue);
      if (!q) {
        q = { queue, completed: new Array(THROUGHPUT_MINUTES).fill(0), failed: new Array(THROUGHPUT_MINUTES).fill(0) };
        byQueue.set(queue, q);
      }
      addAligned(q.completed, pair[0], t.minute, minute);
      addAligned(q.failed, pair[1], t.minute, minute);
    }
  }
  return { minute, queues: [...byQueue.values()] };
}

/** Adds `series` (ending at `seriesMinute`) into `into` (ending at `minute`); what falls outside the hour is dropped. */
function addAligned(into: number[], series: unknown, seriesMinute: number, minute: number): void {
  if (!Array.isArray(series)) return;
  const shift = Math.round((minute - seriesMinute) / MINUTE);
  for (let i = 0; i < series.length; i++) {
    const at = THROUGHPUT_MINUTES - 1 - (series.length - 1 - i) - shift;
    const n = series[i];
    if (at >= 0 && at < THROUGHPUT_MINUTES && typeof n === "number" && Number.isFinite(n) && n > 0) into[at] += n;
  }
}

/** Tries per minute over the last `minutes` whole minutes plus the current one, pro rata. */
export function perMinute(series: readonly number[], now: number, minutes = 1): number {
  const intoMinute = (now - minuteOf(now)) / MINUTE;
  const last = series.length - 1;
  let sum = series[last] ?? 0;
  for (let i = 1; i <= minutes; i++) sum += (series[last - i] ?? 0) * (i === minutes ? 1 - intoMinute : 1);
  return sum / minutes;
}
