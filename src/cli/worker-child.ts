/**
 * `qworker __worker` (hidden): one worker process of `run --mode process`.
 * It is a plain async worker pool named `<host>-<pid>-<index>` after its
 * supervisor. It exits 0 to be recycled when a job ignored its timeout
 * (the only way to stop that code), and exits when its supervisor is gone,
 * so no orphan keeps working unseen. The supervisor steers it over IPC
 * ("stop", "hurry"); a signal only ever means a graceful stop here, since a
 * terminal's Ctrl-C or systemd reach every process of the group at once.
 */

import type { Argv } from "yargs";
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
    const ctx = cliContext({ ...argv, role: "worker", mode: "async" });
    const log = ctx.log.child({ worker: argv["worker-name"] });
    const supervisor = process.ppid;
    await serve(
      { config: { ...ctx.config, admin: { ...ctx.config.admin, enabled: false } }, configFile: ctx.configFile, clock: ctx.clock, log, workerId: String(argv["worker-name"]), workerMode: "process" },
      {
        hurryOnSecondSignal: false,
        afterStart: (runtime, stop) => {
        process.on("message", (message: unknown) => {
          if (message === "stop") stop();
          if (message === "hurry") runtime.hurry();
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
        },
      },
    );
  },
};
