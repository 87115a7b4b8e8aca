/**
 * `qworker status`: queues with counts per state and rates, live workers and
 * the scheduler leader, as aligned tables or `--json`. `--watch` redraws
 * every `--interval` seconds: in place on a terminal (cursor home, each line
 * cleared, so it does not flicker or scroll), and as repeated plain blocks,
 * each headed by its time, when stdout is a pipe or a file (with `--json`,
 * one JSON object per line). One store connection serves every refresh.
 */

import type { Argv } from "yargs";
import { UsageError } from "../core/errors.ts";
import { safeJson } from "../core/inert.ts";
import type { Operations } from "../ops/operations.ts";
import { cliContext, openOperations, withOperations, type CliContext } from "./context.ts";
import { printJson } from "./output.ts";
import { statusText } from "./status-view.ts";

const MIN_INTERVAL_S = 0.2;
const MAX_INTERVAL_S = 3_600;

export const statusCommand = {
  command: "status",
  describe: "queues (counts per state, rates), workers, scheduler leader",
  builder: (y: Argv) =>
    y
      .option("json", { type: "boolean", describe: "print JSON" })
      .option("watch", { alias: "w", type: "boolean", describe: "refresh until Ctrl-C (in place on a terminal)" })
      .option("interval", { type: "number", default: 2, describe: `seconds between refreshes with --watch (${MIN_INTERVAL_S}-${MAX_INTERVAL_S})` }),
  handler: async (argv: Record<string, unknown>) => {
    const ctx = cliContext(argv);
    const label = storeLabel(ctx);
    if (!argv.watch) {
      const report = await withOperations(ctx, (ops) => ops.status());
      if (argv.json) return printJson(report);
      process.stdout.write(statusText(report, Date.now(), label) + "\n");
      return;
    }
    const interval = Number(argv.interval);
    if (!Number.isFinite(interval) || interval < MIN_INTERVAL_S || interval > MAX_INTERVAL_S) {
      throw new UsageError(`--interval must be ${MIN_INTERVAL_S} to ${MAX_INTERVAL_S} seconds, got ${argv.interval}`);
    }
    const ops = await openOperations(ctx);
    await watch(ops, { intervalMs: interval * 1000, json: argv.json === true, tty: process.stdout.isTTY === true, label });
  },
};

function storeLabel(ctx: CliContext): string {
  return ctx.config.store.backend === "sqlite" ? `sqlite (${ctx.config.store.db})` : ctx.config.store.backend;
}

/** Redraws until SIGINT/SIGTERM; a failed read shows its error and the next refresh tries again. */
async function watch(ops: Operations, o: { intervalMs: number; json: boolean; tty: boolean; label: string }): Promise<void> {
  const out = process.stdout;
  let stop = false;
  let wake: () => void = () => {};
  const quit = () => {
    stop = true;
    wake();
  };
  process.once("SIGINT", quit);
  process.once("SIGTERM", quit);
  const inPlace = o.tty && !o.json;
  if (inPlace) out.write("\x1b[?25l\x1b[2J"); // hide the cursor, clear once
  try {
    while (!stop) {
      const now = Date.now();
      let text: string;
      try {
        const report = await ops.status();
        text = o.json ? safeJson(report) : statusText(report, now, o.label);
      } catch (err) {
        text = o.json ? safeJson({ error: (err as Error).message }) : `could not read the status: ${(err as Error).message}`;
      }
      if (o.json) out.write(text + "\n");
      else if (inPlace) out.write(`\x1b[H${header(now, o.intervalMs)}\x1b[K\n\x1b[K\n${text.split("\n").join("\x1b[K\n")}\x1b[K\n\x1b[J`);
      else out.write(`--- ${header(now, o.intervalMs)}\n${text}\n\n`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, o.intervalMs);
      });
    }
  } finally {
    if (inPlace) out.write("\x1b[?25h");
    await ops.close();
  }
}

function header(now: number, intervalMs: number): string {
  return `${new Date(now).toISOString().replace("T", " ").slice(0, 19)} UTC · every ${intervalMs / 1000}s · Ctrl-C to stop`;
}
