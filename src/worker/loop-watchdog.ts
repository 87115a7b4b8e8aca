/**
 * Async mode's event-loop watchdog, main-thread side. A job that blocks the
 * event loop (`for (;;) {}`, heavy synchronous work) cannot be stopped from
 * the loop it blocks, and nothing in that loop can even log it. So a small
 * worker thread (loop-watchdog-thread.ts) watches from outside: this side
 * stamps a heartbeat into shared memory every 100 ms, and keeps a board of
 * the async tries running (label, start, timeout) in the same memory.
 * When the heartbeat stops while a try is past its timeout, the thread logs
 * a warning naming that job, and says to give it `mode: "thread"` or
 * `"process"`.
 *
 * Per try this costs two writes into the board (about a microsecond); the
 * thread starts with the first async try, and costs nothing else until the
 * loop stalls.
 */

import type { Logger } from "../core/logger.ts";
import { threadEntry } from "../core/entrypoints.ts";
import { HEADER_BYTES, LABEL_OFFSET, MAX_SLOTS, SLOT_BYTES, slotBase, type WatchdogData } from "./loop-board.ts";

const BEAT_EVERY_MS = 100;

export class LoopWatchdog {
  private buffer: SharedArrayBuffer | undefined;
  private f64!: Float64Array;
  private u8!: Uint8Array;
  private free: number[] = [];
  private thread: Worker | undefined;
  private beat: ReturnType<typeof setInterval> | undefined;
  private readonly encoder = new TextEncoder();
  /** Each job name's label prefix, encoded once. */
  private readonly names = new Map<string, Uint8Array>();

  constructor(private readonly log: Logger) {}

  /** Puts a try on the board; returns its slot (-1 when untracked). */
  enter(id: string, name: string, timeoutMs: number): number {
    if (!this.buffer && !this.start()) return -1;
    const slot = this.free.pop();
    if (slot === undefined) return -1;
    const at = slotBase(slot);
    const base = at / 8;
    this.f64[base + 1] = timeoutMs;
    this.f64[base + 2] = this.writeLabel(at + LABEL_OFFSET, at + SLOT_BYTES, name, id);
    this.f64[base] = Date.now();
    return slot;
  }

  /**
   * `name<TAB>id` as UTF-8 into [from, to); returns the bytes written. The
   * name's bytes are encoded once per name; an ASCII id (ids are numbers) is
   * copied byte by byte: encodeInto with a fresh subarray cost ~0.4 µs a try.
   */
  private writeLabel(from: number, to: number, name: string, id: string): number {
    let head = this.names.get(name);
    if (!head) {
      head = this.encoder.encode(`${name}\t`);
      if (this.names.size < 1_000) this.names.set(name, head);
    }
    const u8 = this.u8;
    // A name too long for the slot: let encodeInto cut it without splitting a character.
    if (head.length >= to - from) return this.encoder.encodeInto(`${name}\t${id}`, u8.subarray(from, to)).written;
    u8.set(head, from);
    let i = from + head.length;
    for (let k = 0; k < id.length && i < to; k++) {
      const c = id.charCodeAt(k);
      if (c >= 0x80) return i - from + this.encoder.encodeInto(id.slice(k), u8.subarray(i, to)).written;
      u8[i++] = c;
    }
    return i - from;
  }

  leave(slot: number): void {
    if (slot < 0) return;
    this.f64[slotBase(slot) / 8] = 0;
    this.free.push(slot);
  }

  async stop(): Promise<void> {
    clearInterval(this.beat);
    this.beat = undefined;
    const thread = this.thread;
    this.thread = undefined;
    if (!thread) return;
    const closed = new Promise<void>((resolve) => thread.addEventListener("close", () => resolve(), { once: true }));
    thread.terminate();
    await closed;
  }

  /** False when there is nowhere to report to (a logger that is not createLogger's, e.g. in tests). */
  private start(): boolean {
    const settings = this.log.settings;
    if (!settings) {
      this.free = [];
      this.buffer = new SharedArrayBuffer(HEADER_BYTES);
      return false;
    }
    this.buffer = new SharedArrayBuffer(HEADER_BYTES + MAX_SLOTS * SLOT_BYTES);
    this.f64 = new Float64Array(this.buffer);
    this.u8 = new Uint8Array(this.buffer);
    this.free = Array.from({ length: MAX_SLOTS }, (_, i) => MAX_SLOTS - 1 - i);
    this.f64[0] = Date.now();
    this.beat = setInterval(() => (this.f64[0] = Date.now()), BEAT_EVERY_MS);
    (this.beat as { unref?: () => void }).unref?.();
    const data: WatchdogData = { role: "watchdog", buffer: this.buffer, slots: MAX_SLOTS, log: { ...settings, fields: { ...settings.fields, service: "watchdog" } } };
    try {
      this.thread = new Worker(threadEntry(), { workerData: data } as WorkerOptions);
      (this.thread as { unref?: () => void }).unref?.();
    } catch (err) {
      this.log.warn("could not start the event-loop watchdog thread; a job that blocks the event loop will not be named in the log", { error: (err as Error).message });
    }
    return true;
  }
}
