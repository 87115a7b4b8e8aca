/**
 * `qworker status`: queues with counts per state, live workers and the
 * scheduler leader, as a table or `--json`.
 */

import type { Argv } from "yargs";
import { cliContext, withOperations } from "./context.ts";
import { ago, printJson, table } from "./output.ts";

export const statusCommand = {
  command: "status",
  describe: "queues, counts per state, workers, scheduler leader",
  builder: (y: Argv) => y.option("json", { type: "boolean", describe: "print JSON" }),
  handler: async (argv: Record<string, unknown>) => {
    const ctx = cliContext(argv);
    const report = await withOperations(ctx, (ops) => ops.status());
    if (argv.json) return printJson(report);
    const now = Date.now();
    const out: string[] = [];
    out.push(`store: ${report.store.backend}${report.store.backend === "sqlite" ? ` (${ctx.config.store.db})` : ""}`);
    out.push("");
    out.push(
      table(
        ["queue", "waiting", "delayed", "active", "completed", "failed", "cancelled", "paused"],
        report.queues.map((q) => [q.queue, q.waiting, q.delayed, q.active, q.completed, q.failed, q.cancelled, q.paused ? "yes" : "no"]),
      ),
    );
    out.push("");
    if (report.workers.length === 0) out.push("workers: none running");
    else
      out.push(
        table(
          ["worker", "state", "role", "queues", "concurrency", "running", "started", "heartbeat"],
          report.workers.map((w) => [
            w.id,
            // A lapsed heartbeat: the process is gone or hung; its jobs are handed out again by the scheduler.
            w.alive ? "live" : "dead",
            w.role,
            w.queues.join(","),
            w.concurrency,
            w.alive ? w.running.length : `${w.running.length} stalled`,
            ago(w.startedAt, now),
            ago(w.heartbeatAt, now),
          ]),
        ),
      );
    out.push("");
    out.push(report.leader ? `scheduler leader: ${report.leader.holder} (token ${report.leader.token})` : "scheduler leader: none");
    process.stdout.write(out.join("\n") + "\n");
  },
};
