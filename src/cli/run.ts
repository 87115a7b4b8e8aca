/**
 * `qworker run`: start the worker pool, scheduler and admin API for the
 * role, and stop gracefully on SIGTERM/SIGINT (a second signal aborts
 * running jobs at once; either way they go back without spending an
 * attempt and the process exits 0).
 */

import type { Argv } from "yargs";
import { Runtime } from "../app/runtime.ts";
import { cliContext } from "./context.ts";
import { addRunOptions } from "./shared-options.ts";

export const runCommand = {
  command: "run",
  describe: "run workers, the scheduler and the admin API",
  builder: (y: Argv) =>
    addRunOptions(y)
      .option("burst", { type: "boolean", describe: "process what is ready, then exit 0" })
      .example("$0 run", "all roles on ./data/qworker.db with ./jobs")
      .example("$0 run --backend redis --redis-url redis://10.0.0.5:6379 --role worker --concurrency 50", "a worker of a Redis fleet"),
  handler: async (argv: Record<string, unknown>) => {
    const ctx = cliContext(argv);
    // Signals are handled from the first moment: one that arrives during start-up stops the runtime once it is up.
    let signals = 0;
    let runtime: Runtime | undefined;
    const stopNow = () => void runtime!.stop().then(() => process.exit(0));
    const onSignal = (sig: string) => {
      signals += 1;
      if (signals === 1) {
        ctx.log.info(`${sig} received: finishing running jobs (send it again to stop at once)`);
        if (runtime) stopNow();
      } else {
        ctx.log.warn(`${sig} received again: aborting running jobs; they go back to their queue`);
        runtime?.hurry();
      }
    };
    process.on("SIGINT", () => onSignal("SIGINT"));
    process.on("SIGTERM", () => onSignal("SIGTERM"));

    runtime = await Runtime.start({
      config: ctx.config,
      clock: ctx.clock,
      log: ctx.log,
      burst: argv.burst === true,
      forceAdmin: argv["admin-port"] !== undefined || process.env.QWORKER_ADMIN_PORT !== undefined,
    });
    if (signals > 0) return stopNow();

    if (runtime.pool && argv.burst === true) {
      await runtime.pool.drained;
      await runtime.stop();
      process.exit(0);
    }
    // Otherwise keep running until a signal.
    await new Promise(() => {});
  },
};
