/**
 * `qworker enqueue <job>`: one job from flags, or many from a JSON-lines
 * file (`--jsonl FILE|-`, one payload per line) for backfills. Every
 * payload is validated against the job's schema before anything is
 * stored; a bad line is reported by its number and nothing is stored.
 * `--wait` follows the job to its end with a progress bar.
 */

import { readFileSync } from "node:fs";
import type { Argv } from "yargs";
import { QworkerError, UsageError, type FieldIssue } from "../core/errors.ts";
import { tryParseDuration } from "../core/duration.ts";
import { inert, safeJson } from "../core/inert.ts";
import { jsonTextDepth, MAX_JSON_DEPTH } from "../core/json-depth.ts";
import type { JobRecord } from "../core/types.ts";
import { followJob } from "./follow.ts";
import type { Operations } from "../ops/operations.ts";
import { cliContext, loadRegistry, openOperations } from "./context.ts";
import { printJson } from "./output.ts";

export const enqueueCommand = {
  command: "enqueue <job>",
  describe: "enqueue a job (prints its id)",
  builder: (y: Argv) =>
    y
      .positional("job", { type: "string", describe: "job name (see `qworker validate`)" })
      .option("data", { type: "string", describe: "payload: JSON, @file.json, or @- for stdin" })
      .option("jsonl", { type: "string", describe: "many payloads: a JSON-lines FILE, or - for stdin" })
      .option("in", { type: "string", describe: "start after this many seconds, or a duration: 90s, 5m, 2h" })
      .option("at", { type: "string", describe: "start at this time (ISO 8601)" })
      .option("queue", { type: "string", describe: "queue (default: the job's)" })
      .option("priority", { type: "number", describe: "0 runs first (default: the job's)" })
      .option("attempts", { type: "number", describe: "total tries (default: the job's)" })
      .option("key", { type: "string", describe: "unique key: returns the pending job with this key instead of adding one" })
      .option("wait", { type: "boolean", describe: "follow the job to the end; exit 1 if it fails" })
      .option("timeout", { type: "string", describe: "with --wait: stop waiting after this many seconds or a duration (90s, 5m); exit 3" })
      .option("json", { type: "boolean", describe: "print JSON" })
      .conflicts("data", "jsonl")
      .conflicts("wait", "jsonl")
      .implies("timeout", "wait")
      .example("$0 enqueue send-email --data '{\"to\":\"a@b.co\",\"subject\":\"hi\"}' --wait", "run and follow")
      .example("$0 enqueue report --in 300", "run in five minutes")
      .example("$0 enqueue send-email --jsonl backfill.jsonl", "one job per line"),
  handler: async (argv: Record<string, unknown>) => {
    const ctx = cliContext(argv);
    // Flags first: a typo is reported before any job module loads.
    if (argv.in !== undefined && argv.at !== undefined) throw new UsageError("give --in or --at, not both");
    const options = {
      in: parseIn(argv.in),
      at: argv.at as string | undefined,
      queue: argv.queue as string | undefined,
      priority: argv.priority as number | undefined,
      attempts: argv.attempts as number | undefined,
      key: argv.key as string | undefined,
    };
    const name = String(argv.job);
    const registry = await loadRegistry(ctx);
    const ops = await openOperations(ctx, registry);
    try {
      if (typeof argv.jsonl === "string") return await enqueueLines(ops, name, argv.jsonl, options, argv.json === true);
      const data = argv.data === undefined ? undefined : readData(String(argv.data));
      const [result] = await ops.enqueue([{ name, data, ...stripUndefined(options) }]).catch((err) => {
        throw inFlagTerms(err);
      });
      if (!argv.wait) {
        if (argv.json) printJson(result);
        else process.stdout.write(inert(result.id) + (result.deduplicated ? "  (already pending: deduplicated)\n" : "\n"));
        return;
      }
      const final = await followJob(ops, result.id, { write: (t) => process.stderr.write(t), tty: process.stderr.isTTY === true, quiet: argv.json === true, timeoutMs: parseTimeout(argv.timeout) });
      if (argv.json) printJson(final);
      else printFinal(final);
      if (final.state !== "completed") process.exitCode = 1;
    } finally {
      await ops.close();
    }
  },
};

function readData(value: string): unknown {
  let text = value;
  if (value.startsWith("@")) {
    const file = value.slice(1);
    try {
      text = file === "-" ? readFileSync(0, "utf8") : readFileSync(file, "utf8");
    } catch (err) {
      throw new UsageError(`--data ${value}: cannot read ${file === "-" ? "stdin" : file}: ${(err as Error).message}`);
    }
  }
  if (jsonTextDepth(text) > MAX_JSON_DEPTH) throw new UsageError(`--data nests objects or arrays more than ${MAX_JSON_DEPTH} levels deep; flatten the payload`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--data is not valid JSON (${(err as Error).message}); quote it in the shell, e.g. --data '{"to":"a@b.co"}'`);
  }
}

async function enqueueLines(ops: Operations, name: string, source: string, options: Record<string, unknown>, json: boolean): Promise<void> {
  let text: string;
  try {
    text = source === "-" ? readFileSync(0, "utf8") : readFileSync(source, "utf8");
  } catch (err) {
    throw new UsageError(`--jsonl ${source}: cannot read it: ${(err as Error).message}`);
  }
  const requests: unknown[] = [];
  const lines = text.split("\n");
  const rest = stripUndefined(options);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "") continue;
    if (jsonTextDepth(line) > MAX_JSON_DEPTH) {
      throw new UsageError(`--jsonl ${source}: line ${i + 1} nests objects or arrays more than ${MAX_JSON_DEPTH} levels deep; nothing was enqueued`);
    }
    try {
      requests.push({ name, data: JSON.parse(line), ...rest });
    } catch (err) {
      throw new UsageError(`--jsonl ${source}: line ${i + 1} is not valid JSON (${(err as Error).message}); nothing was enqueued`);
    }
  }
  if (requests.length === 0) throw new UsageError(`--jsonl ${source}: no payloads found (one JSON value per line)`);
  const lineOf = lineNumbers(lines);
  let results;
  try {
    results = await ops.enqueue(requests);
  } catch (err) {
    // The failing item's index is in the error's issues: say which line of the file that is.
    const index = err instanceof QworkerError ? err.issues?.[0]?.index : undefined;
    const where = index === undefined ? `--jsonl ${source}` : `--jsonl ${source}: line ${lineOf[index]}`;
    throw inFlagTerms(err, where, "; nothing was enqueued");
  }
  const added = results.filter((r) => !r.deduplicated).length;
  if (json) printJson({ enqueued: added, deduplicated: results.length - added, ids: results.map((r) => r.id) });
  else process.stdout.write(`enqueued ${added} job(s)${results.length - added ? `, ${results.length - added} already pending` : ""}\n`);
}

/** Index of each non-blank line → its 1-based line number in the file. */
function lineNumbers(lines: string[]): number[] {
  const out: number[] = [];
  lines.forEach((l, i) => {
    if (l.trim() !== "") out.push(i + 1);
  });
  return out;
}

function parseTimeout(raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  const text = String(raw).trim();
  const ms = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : tryParseDuration(text);
  if (ms === undefined || ms <= 0 || ms > 7 * 86_400_000) throw new UsageError(`--timeout expects seconds or a duration like 90s, 5m (at most 7d); got "${text}"`);
  return ms;
}

function printFinal(job: JobRecord): void {
  if (job.state === "completed") {
    process.stdout.write(`${inert(job.id)} completed\n${safeJson(job.result ?? null, 2)}\n`);
    return;
  }
  const err = job.errors.at(-1);
  process.stdout.write(`${inert(job.id)} ${job.state} after ${job.attemptsMade} attempt(s)${err ? `: ${inert(err.message)}` : ""}\n`);
}

/** `--in 300`, `--in 2.5`, or a duration: `--in 90s`, `--in 5m`, `--in 2h`. */
function parseIn(raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  const text = String(raw).trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  if (/^-\d/.test(text)) throw new UsageError(`--in: must be 0 or more seconds; got "${text}"`);
  const ms = tryParseDuration(text);
  if (ms === undefined) throw new UsageError(`--in expects seconds or a duration like 90s, 5m, 2h; got "${text}"`);
  return ms / 1000;
}

const FLAGS: Record<string, string> = { in: "--in", at: "--at", queue: "--queue", priority: "--priority", attempts: "--attempts", key: "--key", data: "--data" };

/**
 * The same error, worded for the command line: request fields become the
 * flags that set them (`in` → `--in`). Payload problems keep the schema's
 * path, which is what the user wrote in --data.
 */
function inFlagTerms(err: unknown, where?: string, suffix = ""): unknown {
  if (!(err instanceof QworkerError)) return err;
  const shape = err.issues?.filter((i) => i.field !== undefined && FLAGS[i.field]);
  let body = err.message.replace(/^item \d+: /, "");
  if (shape?.length && shape.length === err.issues?.length) body = shape.map((i: FieldIssue) => `${FLAGS[i.field!]}: ${i.message}`).join("; ");
  err.message = `${where ? `${where}: ` : ""}${body}${suffix}`;
  return err;
}

function stripUndefined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
