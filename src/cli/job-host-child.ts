/**
 * `qworker __job-host` (hidden): one child process of process mode's host
 * pool (worker/executors/process.ts). It runs job tries sent by its parent
 * over IPC, one at a time, loading each job module once. It has no store,
 * config or log of its own. Signals from a terminal's Ctrl-C or systemd
 * reach the whole process group; the parent decides how its tries end, so
 * this process ignores SIGINT/SIGTERM and leaves only when the parent
 * kills it or goes away (core/parent-watch.ts notices even while a job
 * spins).
 */

import { watchParent } from "../core/parent-watch.ts";
import { runJobHost } from "../worker/executors/job-host.ts";
import { decodeToHost, encodeFromHost, type Wire } from "../worker/executors/wire.ts";

export const jobHostChildCommand = {
  command: "__job-host",
  describe: false as const,
  builder: {},
  handler: async () => {
    if (typeof process.send !== "function") {
      process.stderr.write("qworker: __job-host is started by `qworker run` for process-mode jobs; it is not a command to run by hand\n");
      process.exit(2);
    }
    // As in a worker thread, an error nobody catches (thrown from a job's timer, a rejection left
    // unhandled) ends this host; the parent counts a stall for the try and starts another host.
    const fatal = (err: unknown) => {
      process.stderr.write(`qworker job host: uncaught ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    };
    process.on("uncaughtException", fatal);
    process.on("unhandledRejection", fatal);
    process.on("SIGINT", () => {});
    process.on("SIGTERM", () => {});
    // Parent gone: a thread that no spinning job can block ends this process (SIGKILL: nothing here is worth a grace).
    watchParent(0);
    process.on("disconnect", () => process.exit(0));
    // Keeps this process alive between tries.
    setInterval(() => {}, 60_000);
    runJobHost({
      send: (msg) => process.send!(encodeFromHost(msg)),
      listen: (fn) => process.on("message", (m) => fn(decodeToHost(m as Wire))),
    });
    await new Promise<never>(() => {});
  },
};
