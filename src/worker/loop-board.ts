/**
 * The shared memory between async mode's event loop and its watchdog
 * thread (loop-watchdog.ts, loop-watchdog-thread.ts): a heartbeat, then one
 * fixed slot per running async try. Only the main thread writes; the
 * watchdog only reads, and only trusts what it reads while the main thread
 * is stalled (then nothing changes under it).
 */

import type { LoggerSettings } from "../core/logger.ts";

/** f64[0]: the main thread's last heartbeat (epoch ms). */
export const HEADER_BYTES = 16;
export const SLOT_BYTES = 128;
/** Per slot: startedAt (f64, 0 = free), timeoutMs (f64), label length (f64), then the label "<name>\t<id>" in UTF-8 (cut at the slot end). */
export const LABEL_OFFSET = 24;
/** Tries tracked at once; beyond that they run unwatched (a concurrency this high is rare). */
export const MAX_SLOTS = 1_024;

export function slotBase(slot: number): number {
  return HEADER_BYTES + slot * SLOT_BYTES;
}

export interface WatchdogData {
  role: "watchdog";
  buffer: SharedArrayBuffer;
  slots: number;
  log: LoggerSettings;
}
