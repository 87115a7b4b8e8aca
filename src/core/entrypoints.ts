/**
 * Where qworker's own entrypoints are, from source and in the compiled
 * binary: how to start this same qworker again as a child process, and the
 * module every worker thread it starts runs. Low in the tree (core) so
 * the registry, the worker and the app can all start threads and children
 * without importing each other.
 */

import { join } from "node:path";

/** True inside the compiled `dist/qworker` (its modules live in Bun's embedded /$bunfs). */
export const COMPILED = import.meta.url.includes("$bunfs");

/**
 * argv prefix that runs qworker's CLI: `[binary]` or `[bun, src/main.ts]`.
 * Not `Bun.main`: under `bun test` or a bench that is the test file, not qworker.
 */
export function selfCommand(): string[] {
  return COMPILED ? [process.execPath] : [process.execPath, join(import.meta.dir, "..", "main.ts")];
}

/**
 * The entry of every worker thread (worker/executors/thread-entry.ts). A
 * Worker cannot be pointed at a module that is not an entrypoint, so
 * build.ts makes it the binary's second one; the bundle root is src/ (the
 * entrypoints' common folder), so its path mirrors the source path. The
 * e2e tests run thread jobs through the binary, so a wrong path fails them.
 */
export function threadEntry(): string {
  return COMPILED ? "/$bunfs/root/worker/executors/thread-entry.js" : new URL("../worker/executors/thread-entry.ts", import.meta.url).href;
}
