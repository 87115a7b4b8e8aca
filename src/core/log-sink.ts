/**
 * Where log lines go by default: stderr, written in batches. One
 * `process.stderr.write` per line cost 4-10 µs of wall time (a syscall
 * each), as much as a whole no-op job; lines written during one turn of
 * the event loop now leave together, at the end of that turn (setImmediate)
 * or once 64 KiB are waiting, at ~0.2 µs a line.
 *
 * What this changes for a reader: a line may reach stderr up to one event
 * loop turn later than it was logged. At exit (process.exit, the end of the
 * event loop, an uncaught error) what is waiting is written synchronously;
 * only a SIGKILL can lose it (at most one turn's lines). Code that writes to
 * stderr itself calls `flushLogLines()` first, so the order holds.
 */

import { writeSync } from "node:fs";

const FLUSH_AT_CHARS = 64 * 1024;

let pending = "";
let scheduled = false;
let hooked = false;

export function writeLogLine(line: string): void {
  pending += line + "\n";
  if (!hooked) {
    hooked = true;
    process.on("exit", flushAtExit);
  }
  if (pending.length >= FLUSH_AT_CHARS) flushLogLines();
  else if (!scheduled) {
    scheduled = true;
    setImmediate(flushLogLines);
  }
}

/** Writes what is waiting now. */
export function flushLogLines(): void {
  scheduled = false;
  if (pending === "") return;
  const text = pending;
  pending = "";
  process.stderr.write(text);
}

function flushAtExit(): void {
  if (pending === "") return;
  const text = pending;
  pending = "";
  try {
    writeSync(2, text);
  } catch {
    // stderr is gone or would block: nothing else can be done at exit.
  }
}
