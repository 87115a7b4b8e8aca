/**
 * Small numeric helpers shared by the scenarios and the report: medians and
 * percentiles, wall-clock time comparable across processes, peak RSS from
 * the kernel, and random pauses. Kept apart so every peer is measured with
 * the very same arithmetic.
 */

import { readFileSync } from "node:fs";

/** Wall-clock ms with sub-ms resolution; comparable between processes on one host. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

export function median(values: number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile (p in 0..100) of the finite values; NaN when there are none. */
export function percentile(values: number[], p: number): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  if (p === 50 && v.length % 2 === 0) return (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  const rank = Math.ceil((p / 100) * v.length);
  return v[Math.min(v.length - 1, Math.max(0, rank - 1))];
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function spread(values: number[]): Spread {
  const v = values.filter(Number.isFinite);
  return { median: median(v), min: v.length ? Math.min(...v) : Number.NaN, max: v.length ? Math.max(...v) : Number.NaN, n: v.length };
}

/** A field of /proc/<pid>/status in MB (VmRSS, VmHWM), or NaN when unreadable (not Linux, process gone). */
export function procStatusMb(pid: number | "self", field: "VmRSS" | "VmHWM"): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Host-wide CPU jiffies [steal, total] from /proc/stat; on a VM, steal is time other tenants took. */
export function cpuJiffies(): [number, number] {
  try {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1, 9).map(Number);
    return [f[7], f.reduce((a, b) => a + b, 0)];
  } catch {
    return [Number.NaN, Number.NaN];
  }
}

/**
 * Tracks this process's peak RSS: the kernel's high-water mark (VmHWM) where
 * available, else the highest `process.memoryUsage.rss()` seen by a 20 ms sampler.
 */
export class RssPeak {
  private sampled = 0;
  private timer = setInterval(() => this.sample(), 20);

  sample(): void {
    this.sampled = Math.max(this.sampled, process.memoryUsage.rss());
  }

  stopMb(): number {
    clearInterval(this.timer);
    this.sample();
    const hwm = procStatusMb("self", "VmHWM");
    return Number.isFinite(hwm) ? hwm : this.sampled / 1024 / 1024;
  }
}

/** A pause drawn uniformly from [minMs, maxMs], so samples do not phase-lock with any poll interval. */
export function jitteredPause(minMs: number, maxMs: number): Promise<void> {
  return sleep(minMs + Math.random() * Math.max(0, maxMs - minMs));
}

/** setTimeout as a promise: these helpers also run under Node (the BullMQ side of the bench). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * CPU cost of a stretch of work: this process's CPU time, plus redis-server's
 * when a URL is given, each in µs per job. Much steadier than wall-clock
 * rates on a shared VM, where other tenants steal cycles.
 */
export async function cpuMeter(redisCpu?: () => Promise<number>): Promise<(jobs: number) => Promise<Record<string, number>>> {
  const proc0 = process.cpuUsage();
  const redis0 = redisCpu ? await redisCpu() : 0;
  return async (jobs) => {
    const d = process.cpuUsage(proc0);
    const out: Record<string, number> = { cpuUsPerJob: (d.user + d.system) / Math.max(1, jobs) };
    if (redisCpu) out.redisCpuUsPerJob = ((await redisCpu()) - redis0) * 1000 / Math.max(1, jobs);
    return out;
  };
}

export function rate(count: number, ms: number): number {
  return ms > 0 ? (count / ms) * 1000 : Number.NaN;
}
