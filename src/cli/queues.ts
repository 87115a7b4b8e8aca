/**
 * `qworker queues [list | pause <q> | resume <q>]`: every configured queue
 * (and any other that has jobs) with its counts per state and whether it is
 * paused; pause or resume one. A paused queue keeps its jobs; no worker
 * claims them until it is resumed.
 */

import type { Argv } from "yargs";
import { UsageError } from "../core/errors.ts";
import { inert } from "../core/inert.ts";
import { cliContext, withOperations } from "./context.ts";
import { printJson, table } from "./output.ts";

type Action = "list" | "pause" | "resume";

export const queuesCommand = {
  command: "queues [action] [queue]",
  describe: "queues with counts per state; pause or resume one",
  builder: (y: Argv) =>
    y
      .positional("action", { choices: ["list", "pause", "resume"], default: "list", describe: "what to do" })
      .positional("queue", { type: "string", describe: "queue name (for pause and resume)" })
      .option("json", { type: "boolean", describe: "print JSON" })
      .check((a) => {
        if (a.action !== "list" && !a.queue) throw new UsageError(`name the queue to ${a.action}: qworker queues ${a.action} <queue>`);
        return true;
      }),
  handler: async (argv: Record<string, unknown>) => {
    const ctx = cliContext(argv);
    const action = (argv.action ?? "list") as Action;
    const queue = argv.queue as string | undefined;
    if (action !== "list") {
      await withOperations(ctx, (ops) => (action === "pause" ? ops.pauseQueue(queue!) : ops.resumeQueue(queue!)));
      if (argv.json) printJson({ queue, paused: action === "pause" });
      else process.stdout.write(`queue ${inert(queue!)} ${action === "pause" ? "paused" : "resumed"}\n`);
      return;
    }
    const queues = await withOperations(ctx, (ops) => ops.queues());
    if (argv.json) return printJson({ queues });
    process.stdout.write(
      table(
        ["queue", "waiting", "delayed", "active", "completed", "failed", "cancelled", "paused"],
        queues.map((q) => [q.queue, q.waiting, q.delayed, q.active, q.completed, q.failed, q.cancelled, q.paused ? "yes" : "no"]),
      ) + "\n",
    );
  },
};
