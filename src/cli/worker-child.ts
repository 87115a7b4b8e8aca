/**
 * `qworker __worker` (hidden): one worker process of `run --processes N`.
 * It is a plain worker pool (each job in its mode) named
 * `<host>-<pid>-<index>` after its supervisor. It exits 0 to be recycled
 * when an async job ignored its timeout (the only way to stop that code),
 * and exits when its supervisor is gone,
 * so no orphan keeps working unseen. The supervisor steers it over IPC
 * ("stop", "hurry"); a signal only ever means a graceful stop here, since a
 * terminal's Ctrl-C or systemd reach every process of the group at once.
 */

import type { Argv } from "yargs";
import { watchParent } from "../core/parent-watch.ts";
import { cliContext } from "./context.ts";
import { serve } from "./serve.ts";
import { addRunOptions } from "./shared-options.ts";

export const workerChildCommand = {
  command: "__worker",
  describe: false as const,
  builder: (y: Argv) =>
    addRunOptions(y)
      .option("index", { type: "number", demandOption: true })
      .option("worker-name", { type: "string", demandOption: true }),
  handler: async (argv: Record<string, unknown>) => {
    const ctx = cliContext({ ...argv, role: "worker" });
    const log = ctx.log.child({ worker: argv["worker-name"] });
    const supervisor = process.ppid;
    await serve(
      { config: { ...ctx.config, admin: { ...ctx.config.admin, enabled: false } }, configFile: ctx.configFile, clock: ctx.clock, log, workerId: String(argv["worker-name"]), supervised: true },
      {
        hurryOnSecondSignal: false,
        afterStart: (runtime, stop) => {
        process.on("message", (message: unknown) => {
          if (message === "stop") stop();
          if (message === "hurry") runtime.hurry();
          if (message === "reload") void runtime.reload();
        });
        runtime.pool?.events.on("job:abandoned", ({ name }) => {
          log.warn(`job "${name}" ignored its aborted signal: recycling this worker process to stop it`);
          stop();
        });
        setInterval(() => {
          if (process.ppid !== supervisor) {
            log.warn("the supervising qworker process is gone; stopping");
            stop();
          }
        }, 1_000).unref();
        // The same from a thread, for when a job blocks this event loop: SIGTERM, then SIGKILL after the shutdown grace.
        watchParent(runtime.options.config.worker.shutdownTimeout + 5_000);
        },
      },
    );
  },
};
