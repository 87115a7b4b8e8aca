/**
 * `qworker validate`: load the config and every job module and report all
 * problems at once (file and reason); exit 2 if there is any. Starts
 * nothing and opens no store.
 */

import type { Argv } from "yargs";
import { JobLoadError } from "../core/errors.ts";
import { formatDuration } from "../core/duration.ts";
import { checkSetup } from "../app/preflight.ts";
import { cliContext } from "./context.ts";
import { printJson, table } from "./output.ts";

export const validateCommand = {
  command: "validate",
  describe: "check the config and every job module",
  builder: (y: Argv) => y.option("json", { type: "boolean", describe: "print JSON" }),
  handler: async (argv: Record<string, unknown>) => {
    const ctx = cliContext(argv);
    const { registry, problems } = await checkSetup(ctx.config, ctx.configFile);
    const jobs = registry.list().map((j) => ({
      name: j.name,
      queue: j.queue,
      attempts: j.attempts,
      timeoutMs: j.timeoutMs,
      cron: j.cron?.expression,
      timezone: j.cron?.timezone,
      file: j.file,
    }));
    if (argv.json) printJson({ ok: problems.length === 0, config: ctx.configFile ?? null, jobs, problems: problems });
    else {
      process.stdout.write(`config: ${ctx.configFile ?? "(defaults; no config file)"}\njobs:   ${ctx.config.jobs}\n\n`);
      if (jobs.length) {
        process.stdout.write(table(["job", "queue", "attempts", "timeout", "cron"], jobs.map((j) => [j.name, j.queue, j.attempts, formatDuration(j.timeoutMs), j.cron ? `${j.cron} (${j.timezone})` : undefined])) + "\n");
      }
      if (!problems.length) process.stdout.write(`\nok: ${jobs.length} job(s)\n`);
    }
    if (problems.length) throw new JobLoadError(problems);
  },
};
