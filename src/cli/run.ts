/**
 * `qworker run`: start the worker pool (or, with --processes N, N
 * supervised worker processes), the scheduler and the admin API for the
 * role, and stop gracefully on SIGTERM/SIGINT, when a --burst has emptied
 * the queues, or after --max-jobs jobs.
 */

import type { Argv } from "yargs";
import { loadConfig } from "../config/loader.ts";
import { UsageError } from "../core/errors.ts";
import { cliContext } from "./context.ts";
import { serve } from "./serve.ts";
import { addRunOptions } from "./shared-options.ts";
import { watchForReload } from "./watch.ts";

export const runCommand = {
  command: "run",
  describe: "run workers, the scheduler and the admin API",
  builder: (y: Argv) =>
    addRunOptions(y)
      .option("burst", { type: "boolean", describe: "process what is ready, then exit 0" })
      .option("watch", { type: "boolean", describe: "reload job modules and schedules when a job file or the config changes (development)" })
      .option("max-jobs", { type: "number", describe: "exit 0 after this many jobs (with --burst: or once the queues are empty)" })
      .example("$0 run", "all roles on ./data/qworker.db with ./jobs")
      .example("$0 run --processes 4", "four supervised worker processes")
      .example("$0 run --mode thread", "jobs that set no mode run in worker threads")
      .example("$0 run --burst --max-jobs 100 --backend memory", "a smoke run: at most 100 jobs, then exit")
      .example("$0 run --backend redis --redis-url redis://10.0.0.5:6379 --role worker --concurrency 50", "a worker of a Redis fleet"),
  handler: async (argv: Record<string, unknown>) => {
    const ctx = cliContext(argv);
    for (const warning of ctx.warnings) ctx.log.warn(warning);
    const burst = argv.burst === true;
    const maxJobs = maxJobsFlag(argv["max-jobs"]);
    await serve(
      {
        config: ctx.config,
        configFile: ctx.configFile,
        clock: ctx.clock,
        log: ctx.log,
        burst,
        maxJobs,
        forceAdmin: argv["admin-port"] !== undefined || process.env.QWORKER_ADMIN_PORT !== undefined,
        childArgs: childArgs(process.argv),
        readConfig: () => loadConfig({ flags: argv }),
      },
      {
        afterStart: async (runtime, stop) => {
          if (argv.watch === true) watchForReload(runtime, ctx.config.jobs, ctx.configFile, ctx.log);
          if ((!burst && maxJobs === undefined) || !runtime.pool) return;
          await runtime.pool.drained;
          stop();
        },
      },
    );
  },
};

/** The flags after `run`, for worker processes; the admin API stays with the parent. */
function childArgs(argv: string[]): string[] {
  const args = argv.slice(argv.indexOf("run") + 1);
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const [flag] = args[i].split("=");
    // The parent keeps these: a flag with a value drops its value too; --watch is a switch.
    if (flag === "--watch") continue;
    if (["--admin-port", "--admin-host", "--admin-token", "--processes", "--role"].includes(flag)) {
      if (!args[i].includes("=")) i++;
      continue;
    }
    out.push(args[i]);
  }
  return out;
}

function maxJobsFlag(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000_000) throw new UsageError(`--max-jobs must be a whole number from 1 to 1000000000, got ${String(value)}`);
  return n;
}
