/**
 * `qworker queues [list | pause <q> | resume <q> | retry-failed <q>]`: the
 * queues with counts and rates, and the queue-wide actions the dashboard
 * has. `retry-failed` sends every failed job of the queue back to waiting,
 * oldest failure first (Store.retryFailed, a batch per store call).
 */

import type { Argv } from "yargs";
import { UsageError } from "../core/errors.ts";
import { inert } from "../core/inert.ts";
import { cliContext, withOperations } from "./context.ts";
import { printJson } from "./output.ts";
import { queuesTable } from "./status-view.ts";

const ACTIONS = ["list", "pause", "resume", "retry-failed"] as const;
type Action = (typeof ACTIONS)[number];

export const queuesCommand = {
  command: "queues [action] [queue]",
  describe: "queues with counts and rates; pause, resume, or retry every failed job of one",
  builder: (y: Argv) =>
    y
      .positional("action", { choices: ACTIONS, default: "list", describe: "what to do" })
      .positional("queue", { type: "string", describe: "queue name (for pause, resume, retry-failed)" })
      .option("json", { type: "boolean", describe: "print JSON" })
      .check((a) => {
        if (a.action !== "list" && !a.queue) throw new UsageError(`name the queue: qworker queues ${a.action} <queue>`);
        return true;
      })
      .example("$0 queues retry-failed default", "every failed job of queue default back to waiting"),
  handler: async (argv: Record<string, unknown>) => {
    const ctx = cliContext(argv);
    const action = (argv.action ?? "list") as Action;
    const queue = argv.queue as string | undefined;
    const json = argv.json === true;
    await withOperations(ctx, async (ops) => {
      if (action === "list") {
        const report = await ops.status();
        if (json) return printJson({ queues: report.queues, throughput: report.throughput });
        process.stdout.write(queuesTable(report, Date.now()) + "\n");
      } else if (action === "retry-failed") {
        const r = await ops.retryFailed(queue!);
        if (json) return printJson(r);
        process.stdout.write(`${r.retried} failed job(s) of ${inert(r.queue)} back to waiting${r.skipped ? `; ${r.skipped} left failed (another live job holds their unique key)` : ""}\n`);
      } else {
        await (action === "pause" ? ops.pauseQueue(queue!) : ops.resumeQueue(queue!));
        if (json) return printJson({ queue, paused: action === "pause" });
        process.stdout.write(`queue ${inert(queue!)} ${action === "pause" ? "paused" : "resumed"}\n`);
      }
    });
  },
};
