/**
 * `qworker schedules [list | pause|resume|trigger <name>]`: cron schedules
 * with their next run, last run and its outcome, and the current leader;
 * pause or resume one, or run one now. Reads the store directly (no server
 * needed) except on the memory store.
 */

import type { Argv } from "yargs";
import { UsageError } from "../core/errors.ts";
import { inert } from "../core/inert.ts";
import type { EnqueueResult } from "../core/types.ts";
import type { ScheduleListing } from "../ops/operations.ts";
import { cliContext, loadRegistry, withOperations, type CliContext } from "./context.ts";
import { ago, printJson, table } from "./output.ts";

type Action = "list" | "pause" | "resume" | "trigger";

export const schedulesCommand = {
  command: "schedules [action] [name]",
  describe: "cron schedules: next and last run; pause, resume or trigger one",
  builder: (y: Argv) =>
    y
      .positional("action", { choices: ["list", "pause", "resume", "trigger"], default: "list", describe: "what to do" })
      .positional("name", { type: "string", describe: "schedule name (for pause, resume and trigger)" })
      .option("json", { type: "boolean", describe: "print JSON" })
      .check((a) => {
        if (a.action !== "list" && !a.name) throw new UsageError(`name the schedule to ${a.action}: qworker schedules ${a.action} <name>`);
        return true;
      }),
  handler: async (argv: Record<string, unknown>) => {
    const ctx = cliContext(argv);
    const action = (argv.action ?? "list") as Action;
    const result = await withSchedules(ctx, action, argv.name as string | undefined);
    if (action === "trigger") {
      const { id } = result as EnqueueResult;
      if (argv.json) printJson(result);
      else process.stdout.write(`schedule ${inert(String(argv.name))} triggered: job ${inert(id)}\n`);
      return;
    }
    if (action !== "list") {
      if (argv.json) printJson({ name: argv.name, paused: action === "pause" });
      else process.stdout.write(`schedule ${argv.name} ${action === "pause" ? "paused" : "resumed"}\n`);
      return;
    }
    if (argv.json) return printJson({ ...(result as ScheduleListing), leader: (result as ScheduleListing).leader ?? null });
    const { schedules, leader } = result as ScheduleListing;
    const now = Date.now();
    if (schedules.length === 0) process.stdout.write("no schedules: add `cron` to a job or `schedules` to the config\n");
    else
      process.stdout.write(
        table(
          ["schedule", "job", "cron", "timezone", "next run", "last run", "last outcome", "state"],
          schedules.map((s) => [s.name, s.job, s.cron, s.timezone, ago(s.nextRun, now), ago(s.lastSlot, now), s.lastOutcome, !s.enabled ? "disabled" : s.paused ? "paused" : "active"]),
        ) + "\n",
      );
    process.stdout.write(leader ? `leader: ${leader.holder}\n` : "leader: none (no scheduler running)\n");
  },
};

async function withSchedules(ctx: CliContext, action: Action, name?: string): Promise<ScheduleListing | EnqueueResult | void> {
  // The catalogue comes from the job modules and config; the memory store's is read from its server.
  const registry = ctx.config.store.backend === "memory" ? undefined : await loadRegistry(ctx);
  return withOperations(
    ctx,
    async (ops) => {
      if (action === "pause") return ops.pauseSchedule(name!);
      if (action === "resume") return ops.resumeSchedule(name!);
      if (action === "trigger") return ops.triggerSchedule(name!);
      return ops.schedules();
    },
    registry,
    // A trigger enqueues, which may make the store; reads and pauses never do.
    { create: action === "trigger" },
  );
}
