/**
 * The event-loop watchdog's thread (see loop-watchdog.ts): every 250 ms it
 * reads the main thread's heartbeat from shared memory. When the beat is
 * over a second old, the main event loop is blocked; if an async try on
 * the board is past its timeout, that try is the likely culprit (its own
 * timeout could not fire), and this thread logs it, since the main thread
 * cannot. It repeats every 10 s while the block lasts, and says when the
 * loop runs again.
 */

import { createLogger } from "../core/logger.ts";
import { LABEL_OFFSET, slotBase, type WatchdogData } from "./loop-board.ts";

const CHECK_EVERY_MS = 250;
const BLOCKED_AFTER_MS = 1_000;
const REPEAT_EVERY_MS = 10_000;

export function runLoopWatchdog(data: WatchdogData): void {
  const log = createLogger({ level: data.log.level, format: data.log.format, tty: data.log.tty, fields: data.log.fields });
  const f64 = new Float64Array(data.buffer);
  const u8 = new Uint8Array(data.buffer);
  const decoder = new TextDecoder();
  let blockedSince: number | undefined;
  let reportedAt = 0;

  setInterval(() => {
    const now = Date.now();
    const lastBeat = f64[0];
    if (now - lastBeat < BLOCKED_AFTER_MS) {
      if (blockedSince !== undefined && reportedAt > 0) log.info("the event loop runs again", { blockedMs: now - blockedSince });
      blockedSince = undefined;
      reportedAt = 0;
      return;
    }
    blockedSince ??= lastBeat;
    if (now - reportedAt < REPEAT_EVERY_MS) return;
    const overdue: string[] = [];
    for (let slot = 0; slot < data.slots; slot++) {
      const base = slotBase(slot) / 8;
      const startedAt = f64[base];
      if (!startedAt || startedAt + f64[base + 1] > now) continue;
      const at = slotBase(slot) + LABEL_OFFSET;
      const [name, id] = decoder.decode(u8.slice(at, at + f64[base + 2])).split("\t");
      overdue.push(`${name} (id ${id}, timeout ${seconds(f64[base + 1])}, running ${seconds(now - startedAt)})`);
    }
    if (overdue.length === 0) return;
    reportedAt = now;
    log.warn(
      `the event loop has been blocked for ${seconds(now - blockedSince)} by async job(s) past their timeout: ${overdue.join("; ")}. ` +
        `Nothing else runs meanwhile (other jobs, lease renewal, the admin API, /health), and a blocked job cannot be stopped in async mode: ` +
        `give it mode: "thread" or "process" in defineJob`,
      { jobs: overdue.length },
    );
  }, CHECK_EVERY_MS);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
