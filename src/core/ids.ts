/**
 * Job ids: time-ordered (so listings sort by creation) and unique across
 * processes and hosts without coordination: UUIDv7. Written without Bun
 * APIs because the client runs in plain Node too. Random bytes are drawn
 * in pages and hex comes from a table: ids are minted on every enqueue, so
 * this sits on the hot path of bulk enqueue.
 */

import { randomFillSync } from "node:crypto";

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const POOL = new Uint8Array(8 * 1024);
let poolAt = POOL.length;

/** A generator with its own ordering state; the process shares one (`newJobId`), tests make their own. */
export function createIdGenerator(): (nowMs?: number) => string {
  let lastMs = 0;
  let seq = 0;
  return (nowMs: number = Date.now()) => {
    // A 12-bit counter in rand_a keeps ids strictly increasing within a millisecond and across clock steps back.
    if (nowMs <= lastMs) {
      seq = (seq + 1) & 0xfff;
      if (seq === 0) lastMs += 1;
      nowMs = lastMs;
    } else {
      lastMs = nowMs;
      seq = 0;
    }
    return format(nowMs, seq);
  };
}

export const newJobId = createIdGenerator();

function format(nowMs: number, seq: number): string {
  if (poolAt + 8 > POOL.length) {
    randomFillSync(POOL);
    poolAt = 0;
  }
  const r = POOL.subarray(poolAt, (poolAt += 8));
  // 48-bit big-endian milliseconds: split in two because bitwise ops are 32-bit.
  const hi = Math.floor(nowMs / 0x1000000);
  const lo = nowMs % 0x1000000;
  const time = HEX[(hi >>> 16) & 0xff] + HEX[(hi >>> 8) & 0xff] + HEX[hi & 0xff] + HEX[(lo >>> 16) & 0xff];
  const timeLow = HEX[(lo >>> 8) & 0xff] + HEX[lo & 0xff];
  const version = HEX[0x70 | (seq >>> 8)] + HEX[seq & 0xff];
  const variant = HEX[(r[0] & 0x3f) | 0x80] + HEX[r[1]];
  return `${time}-${timeLow}-${version}-${variant}-${HEX[r[2]]}${HEX[r[3]]}${HEX[r[4]]}${HEX[r[5]]}${HEX[r[6]]}${HEX[r[7]]}`;
}

export function cronSlotId(scheduleName: string, slotEpochMs: number): string {
  return `cron:${scheduleName}:${slotEpochMs}`;
}
