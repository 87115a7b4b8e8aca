/**
 * How to start this same qworker again as a child process: the compiled
 * binary is its own script; from source, Bun needs src/main.ts. Not
 * `Bun.main`: under `bun test` or a bench that is the test file, not
 * qworker.
 */

import { join } from "node:path";

/** True inside the compiled `dist/qworker` (its modules live in Bun's embedded /$bunfs). */
export const COMPILED = import.meta.url.includes("$bunfs");

/** argv prefix that runs qworker's CLI: `[binary]` or `[bun, src/main.ts]`. */
export function selfCommand(): string[] {
  return COMPILED ? [process.execPath] : [process.execPath, join(import.meta.dir, "..", "main.ts")];
}
