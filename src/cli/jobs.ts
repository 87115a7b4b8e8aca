/**
 * `qworker jobs list|show|retry|cancel|remove`: inspect and manage single
 * jobs. Unknown ids and wrong states exit 2 with the reason. `jobs types`
 * lists the job types the job folder defines, with their payload schemas.
 */

import type { Argv } from "yargs";
import { UsageError } from "../core/errors.ts";
import { JOB_STATES, type JobRecord, type JobState } from "../core/types.ts";
import { describeJobTypes } from "../ops/job-types.ts";
import { cliContext, loadRegistry, withOperations } from "./context.ts";
import { inert } from "../core/inert.ts";
import type { WorkerView } from "../ops/operations.ts";
import { attemptText, currentError, describeJob } from "./job-view.ts";
import { ago, printJson, table } from "./output.ts";

const idArg = (y: Argv) => y.positional("id", { type: "string", describe: "job id" }).option("json", { type: "boolean", describe: "print JSON" });

export const jobsCommand = {
  command: "jobs <action>",
  describe: "list, show, retry, cancel or remove jobs",
  builder: (y: Argv) =>
    y
      .command({
        command: "list",
        describe: "list jobs, newest first",
        builder: (yy: Argv) =>
          yy
            .option("state", { type: "string", describe: `one of ${JOB_STATES.join(", ")}` })
            .option("queue", { type: "string", describe: "only this queue" })
            .option("name", { type: "string", describe: "only this job name" })
            .option("limit", { type: "number", default: 50, describe: "page size (1-1000)" })
            .option("cursor", { type: "string", describe: "next page: the cursor a previous page printed" })
            .option("json", { type: "boolean", describe: "print JSON" }),
        handler: list,
      })
      .command({
        command: "types",
        describe: "the job types in the job folder: queue, attempts, timeout, cron, payload schema",
        builder: (yy: Argv) => yy.option("json", { type: "boolean", describe: "print JSON (with each payload's JSON Schema)" }),
        handler: types,
      })
      .command({ command: "show <id>", describe: "one job in full", builder: idArg, handler: (a) => single(a, "show") })
      .command({ command: "retry <id>", describe: "run a failed or cancelled job again", builder: idArg, handler: (a) => single(a, "retry") })
      .command({ command: "cancel <id>", describe: "cancel a waiting, delayed or active job", builder: idArg, handler: (a) => single(a, "cancel") })
      .command({ command: "remove <id>", describe: "delete a job that is not active", builder: idArg, handler: (a) => single(a, "remove") })
      .demandCommand(1, "name an action: list, types, show, retry, cancel or remove"),
  handler: () => {},
};

/** Read from the job modules themselves, as the server does: no store is opened. */
async function types(argv: Record<string, unknown>): Promise<void> {
  const all = describeJobTypes(await loadRegistry(cliContext(argv)));
  if (argv.json) return printJson({ jobTypes: all });
  process.stdout.write(
    table(
      ["job", "queue", "attempts", "priority", "timeout", "cron", "unique", "payload"],
      all.map((t) => [t.name, t.queue, t.attempts, t.priority, `${t.timeoutMs / 1000}s`, t.cron ?? "", t.unique ? "yes" : "no", t.schema ? "schema" : "any"]),
    ) + "\n",
  );
}

async function list(argv: Record<string, unknown>): Promise<void> {
  const state = argv.state as string | undefined;
  if (state !== undefined && !(JOB_STATES as readonly string[]).includes(state)) {
    throw new UsageError(`--state "${state}" is not a state; use one of ${JOB_STATES.join(", ")}`);
  }
  const limit = Number(argv.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError(`--limit must be a whole number from 1 to 1000, got ${argv.limit}`);
  const ctx = cliContext(argv);
  const page = await withOperations(ctx, (ops) =>
    ops.listJobs({ state: state as JobState | undefined, queue: argv.queue as string | undefined, name: argv.name as string | undefined, cursor: argv.cursor as string | undefined, limit }),
  );
  if (argv.json) return printJson(page);
  const now = Date.now();
  const rows = page.jobs.map((j) => [j.id, j.name, j.queue, j.state, attemptText(j), ago(j.createdAt, now), currentError(j)?.slice(0, 60)]);
  process.stdout.write(table(["id", "name", "queue", "state", "tries", "created", "error"], rows) + "\n");
  if (page.nextCursor) process.stdout.write(`more: qworker jobs list --cursor ${page.nextCursor}\n`);
}

async function single(argv: Record<string, unknown>, action: "show" | "retry" | "cancel" | "remove"): Promise<void> {
  const id = String(argv.id);
  const ctx = cliContext(argv);
  let workers: WorkerView[] | undefined;
  const job = await withOperations(ctx, async (ops): Promise<JobRecord | undefined> => {
    if (action === "show") {
      // Only to say why a waiting job does not run; the job is shown without it if the read fails.
      workers = await ops.workers().catch(() => undefined);
      return ops.getJob(id);
    }
    if (action === "retry") return ops.retryJob(id);
    if (action === "cancel") return ops.cancelJob(id);
    await ops.removeJob(id);
    return undefined;
  });
  if (argv.json) return printJson(job ?? { id, removed: true });
  if (!job) return void process.stdout.write(`${inert(id)} removed\n`);
  if (action !== "show") return void process.stdout.write(`${inert(id)} ${job.state}\n`);
  process.stdout.write(describeJob(job, workers));
}
