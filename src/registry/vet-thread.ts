/**
 * The thread side of module vetting (vet.ts): imports the job files it is
 * sent, one at a time, and says how each went. It runs in a worker thread
 * so that a module that never finishes loading (a top-level `while (true)`,
 * an `await` that never settles) can be timed out and the thread thrown
 * away, and a module that calls `process.exit` while loading is caught and
 * named instead of ending qworker in silence.
 */

import { installSdkPlugin } from "./sdk-plugin.ts";

export type VetRequest = { file: string };
export type VetReply = { t: "ready" } | { t: "loaded"; file: string } | { t: "failed"; file: string; exitCode?: number; reason: string };

/** Thrown by the trapped process.exit while a module loads. */
class ExitDuringLoad extends Error {
  constructor(readonly code: number) {
    super(`called process.exit(${code}) while loading`);
  }
}

export function runVetter(post: (reply: VetReply) => void, listen: (fn: (req: VetRequest) => void) => void): void {
  installSdkPlugin();
  // For the whole life of this thread: it only ever loads job modules, and is thrown away after.
  process.exit = ((code?: number | string) => {
    throw new ExitDuringLoad(Number(code ?? 0));
  }) as typeof process.exit;
  listen(async ({ file }) => {
    try {
      await import(file);
      post({ t: "loaded", file });
    } catch (err) {
      if (err instanceof ExitDuringLoad) post({ t: "failed", file, exitCode: err.code, reason: err.message });
      // Any other error is reported, with its line and column, by the real import that follows.
      else post({ t: "failed", file, reason: err instanceof Error ? err.message : String(err) });
    }
  });
  post({ t: "ready" });
}
