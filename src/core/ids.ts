/**
 * Job ids: time-ordered (so listings sort by creation) and unique across
 * processes and hosts without coordination: UUIDv7. Written without Bun
 * APIs because the client runs in plain Node too.
 */

import { randomFillSync } from "node:crypto";

let lastMs = 0;
let seq = 0;

export function newJobId(nowMs: number = Date.now()): string {
  // A 12-bit counter in rand_a keeps ids from one process strictly increasing within a millisecond.
  if (nowMs <= lastMs) {
    seq = (seq + 1) & 0xfff;
    if (seq === 0) lastMs += 1;
    nowMs = lastMs;
  } else {
    lastMs = nowMs;
    seq = 0;
  }
  const b = new Uint8Array(16);
  randomFillSync(b, 8);
  const ms = BigInt(nowMs);
  for (let i = 0; i < 6; i++) b[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  b[6] = 0x70 | (seq >> 8);
  b[7] = seq & 0xff;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function cronSlotId(scheduleName: string, slotEpochMs: number): string {
  return `cron:${scheduleName}:${slotEpochMs}`;
}
