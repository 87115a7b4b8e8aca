#!/usr/bin/env bun
/**
 * The qworker command line: one yargs command module per verb in src/cli/.
 * Every error ends here and becomes one clear line on stderr and the exit
 * code of DESIGN §4: 2 usage/config/validation, 3 store unreachable, 1 else.
 */

import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { QworkerError } from "./core/errors.ts";
import { flushLogLines } from "./core/log-sink.ts";
import { inertLines } from "./core/inert.ts";
import { enqueueCommand } from "./cli/enqueue.ts";
import { infoCommand } from "./cli/info.ts";
import { jobsCommand } from "./cli/jobs.ts";
import { queuesCommand } from "./cli/queues.ts";
import { workersCommand } from "./cli/workers.ts";
import { runCommand } from "./cli/run.ts";
import { schedulesCommand } from "./cli/schedules.ts";
import { addSharedOptions } from "./cli/shared-options.ts";
import { statusCommand } from "./cli/status.ts";
import { systemdCommand } from "./cli/systemd.ts";
import { validateCommand } from "./cli/validate.ts";
import { VERSION, versionLine } from "./core/version.ts";
import { workerChildCommand } from "./cli/worker-child.ts";
import { jobHostChildCommand } from "./cli/job-host-child.ts";

/** yargs reads a lone "-" as a positional; `--jsonl -` and `--data @-` mean stdin, so glue it to its flag. */
function glueStdinDash(args: string[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    const prev = out[out.length - 1];
    if (a === "-" && prev?.startsWith("--") && !prev.includes("=")) out[out.length - 1] = `${prev}=-`;
    else out.push(a);
  }
  return out;
}

export async function main(args: string[]): Promise<void> {
  const cli = addSharedOptions(yargs(glueStdinDash(args)).scriptName("qworker"))
    .usage("$0 <command> [options]\n\nBackground jobs from ./jobs over SQLite (default), Redis or memory.")
    .command(runCommand)
    .command(enqueueCommand)
    .command(statusCommand)
    .command(jobsCommand)
    .command(queuesCommand)
    .command(workersCommand)
    .command(schedulesCommand)
    .command(validateCommand)
    .command(infoCommand)
    .command(systemdCommand)
    .command(workerChildCommand)
    .command(jobHostChildCommand)
    .demandCommand(1, "name a command; `qworker --help` lists them")
    .strict()
    // From source the commit costs a git spawn: only ask for it when it is printed.
    .version(args.includes("--version") ? versionLine() : VERSION)
    .alias("h", "help")
    .wrap(Math.min(110, process.stdout.columns || 100))
    .epilog("Every option also reads QWORKER_<NAME> from the environment. Docs: README.md")
    .fail((msg, err) => {
      if (err) throw err;
      flushLogLines();
      process.stderr.write(`qworker: ${inertLines(msg)}\nRun \`qworker --help\` (or \`qworker <command> --help\`) for usage.\n`);
      process.exit(2);
    });
  await cli.parseAsync();
}

function report(err: unknown): never {
  // Log lines wait for the end of the event loop turn (log-sink.ts): they go before this last word.
  flushLogLines();
  if (err instanceof QworkerError) {
    process.stderr.write(`qworker: ${inertLines(err.message)}\n`);
    process.exit(err.exitCode);
  }
  const e = err instanceof Error ? err : new Error(String(err));
  process.stderr.write(`qworker: unexpected error: ${inertLines(e.stack ?? e.message)}\n`);
  process.exit(1);
}

if (import.meta.main) {
  await main(hideBin(process.argv)).catch(report);
}
