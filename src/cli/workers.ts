/**
 * `qworker workers [list]`: the processes working the store: host, pid,
 * role, queues, the jobs each has loaded and is running, and whether its
 * heartbeat is current (a dead one is listed for a few minutes, its jobs
 * handed out again by the scheduler).
 */

import type { Argv } from "yargs";
import { cliContext, withOperations } from "./context.ts";
import { ago, printJson, table } from "./output.ts";

export const workersCommand = {
  command: "workers [action]",
  describe: "live (and recently dead) worker processes",
  builder: (y: Argv) =>
    y.positional("action", { choices: ["list"], default: "list", describe: "what to do" }).option("json", { type: "boolean", describe: "print JSON" }),
  handler: async (argv: Record<string, unknown>) => {
    const ctx = cliContext(argv);
    const workers = await withOperations(ctx, (ops) => ops.workers());
    if (argv.json) return printJson({ workers });
    if (workers.length === 0) return void process.stdout.write("no workers: start one with `qworker run`\n");
    const now = Date.now();
    process.stdout.write(
      table(
        ["worker", "state", "host", "pid", "role", "queues", "jobs loaded", "running", "heartbeat"],
        workers.map((w) => [w.id, w.alive ? "live" : "dead", w.host, w.pid, w.role, w.queues.join(","), w.jobs.join(","), w.running.length, ago(w.heartbeatAt, now)]),
      ) + "\n",
    );
  },
};
