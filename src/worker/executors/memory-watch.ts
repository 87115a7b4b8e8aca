/**
 * `maxMemoryMb` for thread and process modes. Bun ignores the memory caps
 * Node's workers accept (resourceLimits), and the kernel's OOM killer would
 * take the whole server, so a watchdog samples memory and stops a try that
 * passes its limit:
 *
 * - a child process is measured alone (its resident set, from
 *   /proc/<pid>/status on Linux), so the limit is exact to a sample;
 * - a thread shares the process's memory, so its try is judged by how much
 *   the whole process grew since the try began. That is coarse: two
 *   memory-hungry thread jobs at once are each charged with both. Use
 *   process mode where the limit must be exact.
 *
 * One timer serves every watched try, and only runs while some try is
 * watched.
 */

import { readFileSync } from "node:fs";

const SAMPLE_EVERY_MS = 100;

interface Watched {
  /** Bytes used now by what the try is charged with. */
  measure(): number | undefined;
  limitBytes: number;
  onExceeded(usedBytes: number): void;
}

export class MemoryWatch {
  private readonly watched = new Set<Watched>();
  private timer: ReturnType<typeof setInterval> | undefined;

  /** Watches one try; call the returned function when the try ends. */
  watch(w: Watched): () => void {
    this.watched.add(w);
    this.timer ??= setInterval(() => this.sample(), SAMPLE_EVERY_MS);
    (this.timer as { unref?: () => void }).unref?.();
    return () => {
      this.watched.delete(w);
      if (this.watched.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  private sample(): void {
    for (const w of [...this.watched]) {
      const used = w.measure();
      if (used !== undefined && used > w.limitBytes) {
        this.watched.delete(w);
        w.onExceeded(used);
      }
    }
  }
}

/** Resident bytes of a process (Linux), or undefined where /proc is not there or the process is gone. */
export function residentBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export class MemoryLimitExceeded extends Error {
  override readonly name = "MemoryLimitExceeded";
  constructor(
    readonly limitMb: number,
    usedBytes: number,
    where: "thread" | "process",
  ) {
    super(
      where === "process"
        ? `used ${Math.round(usedBytes / 1048576)} MB, more than its maxMemoryMb of ${limitMb}; its child process was stopped`
        : `the process grew by ${Math.round(usedBytes / 1048576)} MB during this try, more than its maxMemoryMb of ${limitMb}; its thread was stopped (threads share memory: process mode measures a job alone)`,
    );
  }
}
