/**
 * Discovers and loads the job modules of a jobs folder and checks each one:
 * it loads, default-exports a `defineJob`, sets only options defineJob
 * knows, has a unique name, a configured queue, sane options and a valid
 * cron. Every problem is collected with its
 * file and reason, so `qworker validate` reports all at once and `run`
 * refuses to start on any.
 */

import { existsSync, lstatSync, readdirSync, readlinkSync, realpathSync, statSync } from "node:fs";
import { basename, extname, isAbsolute, join, relative } from "node:path";
import { formatDuration, parseDuration } from "../core/duration.ts";

const MIN_TIMEOUT_MS = 100;
const MAX_TIMEOUT_MS = 24 * 86_400_000;
/** Unique-key holds and retry delays: a year at most. */
const MAX_HOLD_MS = 366 * 86_400_000;
import { JobLoadError, UnknownJobError } from "../core/errors.ts";
import { BACKOFF_KEYS, CONCURRENCY_KEYS, EXEC_MODES, isJobDefinition, JOB_SPEC_KEYS, RATE_LIMIT_KEYS, UNIQUE_KEYS, type JobDefinition } from "../sdk/define-job.ts";
import { readEntryFlow, type QueueFlow } from "./flow-options.ts";
import { cronProblem, timezoneProblem } from "../cron/expr.ts";
import {
  DEFAULT_ATTEMPTS,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_UNIQUE_TTL_MS,
  MAX_ATTEMPTS,
  MAX_MEMORY_MB_RANGE,
  MAX_PRIORITY,
  mergeBackoff,
  parsePayload,
  type JobEntry,
} from "./job-entry.ts";
import { resolveSchedules, type Schedule } from "./schedules.ts";
import { installSdkPlugin } from "./sdk-plugin.ts";
import { vetModules } from "./vet.ts";
import type { ScheduleConfig } from "../config/schema.ts";

export interface LoadProblem {
  file: string;
  reason: string;
}

export interface RegistryOptions {
  dir: string;
  queues: string[];
  /** `config.schedules`, checked against the jobs: each bad entry is a problem naming its field. */
  schedules?: ScheduleConfig[];
  /** Where `schedules` came from, for problems (default "config"). */
  configFile?: string;
  /**
   * A reload: modules are imported afresh (a new module URL each time), so
   * edited files run their new code. Modules they import themselves stay
   * as first loaded until a restart.
   */
  reload?: boolean;
  /** The config's `queueLimits` (per queue: concurrency, rateLimit with `per` in ms): stamped on each job at enqueue. */
  queueLimits?: Record<string, { concurrency?: { max: number }; rateLimit?: { max: number; per: number } }>;
  /** How long one module may take to load (jobLoadTimeout; default 10 s): see vet.ts. */
  loadTimeoutMs?: number;
  /** Aborted (a SIGTERM during start-up): loading stops and `load` rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Bumped on every reload, to give each reload its own module URLs. */
let generation = 0;

const JOB_FILE = /\.(ts|js|mjs|mts)$/;

export class Registry {
  /** Every cron schedule: the jobs' own and the config's (see schedules.ts). */
  readonly schedules: Schedule[];
  private readonly scheduleProblems: LoadProblem[];
  /** Each queue's own limits (config `queueLimits`), stamped on every job enqueued through this registry. */
  queueFlow: Record<string, QueueFlow> = {};

  private constructor(
    private readonly byName: Map<string, JobEntry>,
    readonly problems: LoadProblem[],
    readonly dir: string,
    readonly queues: string[],
    configured: ScheduleConfig[],
    configFile: string,
  ) {
    const resolved = resolveSchedules(this, configured);
    this.schedules = resolved.schedules;
    this.scheduleProblems = resolved.problems.map((p) => ({ file: configFile, reason: `${p.field}: ${p.reason}` }));
    problems.push(...this.scheduleProblems);
  }

  /** Loads every module; never throws for a bad module (see `problems`). */
  static async load(opts: RegistryOptions): Promise<Registry> {
    installSdkPlugin();
    const problems: LoadProblem[] = [];
    const byName = new Map<string, JobEntry>();
    const version = opts.reload ? ++generation : 0;
    const files = discoverJobFiles(opts.dir, problems).map((path) => ({ path, specifier: version ? `${path}?v=${version}` : path }));
    const unsafe = await vetModules(files, opts.loadTimeoutMs, opts.signal);
    for (const { path: file, specifier: module } of files) {
      const shown = relative(process.cwd(), file) || file;
      const vetProblem = unsafe.get(file);
      if (vetProblem) {
        problems.push({ file: shown, reason: vetProblem });
        continue;
      }
      const loaded = await importJob(module);
      if ("reason" in loaded) {
        problems.push({ file: shown, reason: loaded.reason });
        continue;
      }
      const unknown = unknownOptions(loaded.definition);
      if (unknown) {
        problems.push({ file: shown, reason: unknown });
        continue;
      }
      const entry = toEntry(file, module, loaded.definition, opts.queues);
      if ("reason" in entry) {
        problems.push({ file: shown, reason: entry.reason });
        continue;
      }
      const clash = byName.get(entry.name);
      if (clash) {
        problems.push({ file: shown, reason: `job name "${entry.name}" is already used by ${relative(process.cwd(), clash.file)}; set a distinct \`name\`` });
        continue;
      }
      byName.set(entry.name, entry);
    }
    return new Registry(byName, problems, opts.dir, opts.queues, opts.schedules ?? [], opts.configFile ?? "config").withQueueLimits(opts.queueLimits);
  }

  /** Sets the queues' own limits (config `queueLimits`); returns this. */
  withQueueLimits(limits: RegistryOptions["queueLimits"]): this {
    this.queueFlow = {};
    for (const [queue, l] of Object.entries(limits ?? {})) {
      this.queueFlow[queue] = { concurrency: l.concurrency, rateLimit: l.rateLimit && { max: l.rateLimit.max, perMs: l.rateLimit.per } };
    }
    return this;
  }

  /** The same jobs with another `schedules` config (a config reload, a test); its problems are this one's load problems plus the new entries'. */
  withSchedules(configured: ScheduleConfig[], configFile = "config"): Registry {
    const ownProblems = this.problems.filter((p) => !this.scheduleProblems.includes(p));
    const next = new Registry(this.byName, [...ownProblems], this.dir, this.queues, configured, configFile);
    next.queueFlow = this.queueFlow;
    return next;
  }

  /** A registry with no jobs, for commands that only inspect (status, jobs list). */
  static empty(opts: RegistryOptions): Registry {
    return new Registry(new Map(), [], opts.dir, opts.queues, [], opts.configFile ?? "config").withQueueLimits(opts.queueLimits);
  }

  /** Throws JobLoadError listing every problem. */
  assertValid(): this {
    if (this.problems.length) throw new JobLoadError(this.problems);
    return this;
  }

  get(name: string): JobEntry {
    const entry = this.byName.get(name);
    if (!entry) throw new UnknownJobError(name, this.names());
    return entry;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  list(): JobEntry[] {
    return [...this.byName.values()];
  }

  /** Validates a payload for `name`; throws UnknownJobError / ValidationError. */
  validate(name: string, data: unknown): unknown {
    return parsePayload(this.get(name), data);
  }
}

function discoverJobFiles(dir: string, problems: LoadProblem[]): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    problems.push({ file: dir, reason: "jobs folder does not exist; create it or point --jobs / QWORKER_JOBS at yours" });
    return [];
  }
  const realDir = realpathSync(dir);
  const files: string[] = [];
  const names = readdirSync(dir)
    .filter((f) => JOB_FILE.test(f) && !f.startsWith("_") && !f.startsWith(".") && !/\.(test|spec)\./.test(f) && !f.endsWith(".d.ts"))
    .sort();
  for (const name of names) {
    const file = join(dir, name);
    const shown = relative(process.cwd(), file) || file;
    const link = lstatSync(file);
    if (link.isSymbolicLink()) {
      const target = readlinkSync(file);
      let real: string;
      try {
        real = realpathSync(file);
      } catch {
        problems.push({ file: shown, reason: `is a symlink to ${target}, which does not exist; fix or remove the link` });
        continue;
      }
      // Everything that runs as a job is in the jobs folder, where a reviewer looks; a link out of it is refused.
      if (!isInside(realDir, real)) {
        problems.push({ file: shown, reason: `is a symlink to ${real}, outside the jobs folder ${realDir}; copy the module into the folder, or point --jobs at the folder it lives in` });
        continue;
      }
      if (!statSync(real).isFile()) continue;
    } else if (!link.isFile()) continue;
    files.push(file);
  }
  return files;
}

function isInside(dir: string, file: string): boolean {
  const rel = relative(dir, file);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
}

async function importJob(file: string): Promise<{ definition: JobDefinition } | { reason: string }> {
  let mod: Record<string, unknown>;
  try {
    mod = await import(file);
  } catch (err) {
    return { reason: `failed to load: ${describeLoadError(err, file)}` };
  }
  if (!("default" in mod) || mod.default === undefined) {
    return { reason: "has no default export; write `export default defineJob({ ... })`" };
  }
  if (!isJobDefinition(mod.default)) {
    return { reason: "default export is not a job; wrap it: `export default defineJob({ run(payload, ctx) { ... } })` with defineJob from \"qworker\"" };
  }
  return { definition: mod.default };
}

interface BuildPosition {
  line: number;
  column: number;
  file?: string;
}

/**
 * Bun reports a syntax error as a BuildMessage with a `position`, several at
 * once as an AggregateError of them: each becomes "line L:C: message", with
 * the file named when the error is in a module the job file imports.
 */
function describeLoadError(err: unknown, file: string): string {
  const one = (e: { message?: string; position?: BuildPosition | null }) => {
    const p = e.position;
    if (!p) return String(e.message ?? e);
    const where = p.file && p.file !== file.replace(/\?v=\d+$/, "") ? `${relative(process.cwd(), p.file) || p.file} line ${p.line}:${p.column}` : `line ${p.line}:${p.column}`;
    return `${where}: ${e.message}`;
  };
  if (err instanceof AggregateError && err.errors.length) return err.errors.map(one).join("; ");
  if (err && typeof err === "object" && "position" in err) return one(err as { message?: string; position?: BuildPosition });
  // JavaScriptCore's own SyntaxError (a regular expression it compiles at load) carries a line, not a column.
  const jsc = err as { line?: unknown; sourceURL?: unknown; message?: string };
  if (err instanceof SyntaxError && typeof jsc.line === "number") {
    const where = typeof jsc.sourceURL === "string" && jsc.sourceURL !== file.replace(/\?v=\d+$/, "") ? `${relative(process.cwd(), jsc.sourceURL)} line ${jsc.line}` : `line ${jsc.line}`;
    return `${where}: ${jsc.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * Keys of the spec (and of its `backoff` and `unique` objects) that defineJob
 * does not know. Job modules are not type-checked by the binary, so without
 * this `atempts: 5` would run with the default 3 attempts and say nothing.
 */
function unknownOptions(def: JobDefinition): string | undefined {
  const problems = unknownKeys(def, JOB_SPEC_KEYS, "");
  const nested = [["backoff", BACKOFF_KEYS], ["unique", UNIQUE_KEYS], ["concurrency", CONCURRENCY_KEYS], ["rateLimit", RATE_LIMIT_KEYS]] as const;
  for (const [field, known] of nested) {
    const value: unknown = def[field];
    if (value === undefined) continue;
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      problems.push(`\`${field}\` must be an object with ${known.map((k) => `\`${k}\``).join(", ")}`);
    } else {
      problems.push(...unknownKeys(value, known, `${field}.`));
    }
  }
  return problems.length ? problems.join("; ") : undefined;
}

function unknownKeys(obj: object, known: readonly string[], prefix: string): string[] {
  return Object.keys(obj)
    .filter((key) => !known.includes(key))
    .map((key) => {
      const near = closestName(key, known);
      const hint = near ? `did you mean \`${prefix}${near}\`?` : `known options: ${known.map((k) => prefix + k).join(", ")}`;
      return `unknown option \`${prefix}${key}\` in defineJob({...}); ${hint}`;
    });
}

/** The known name nearest to `name` (case-insensitive), if it is close enough to be a typo of it. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(name.length / 3));
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance <= limit && (!best || distance < best.distance)) best = { name: candidate, distance };
  }
  return best?.name;
}

/** Levenshtein distance where swapping two neighbours counts as one edit (the commonest typo). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

function toEntry(file: string, module: string, def: JobDefinition, queues: string[]): JobEntry | { reason: string } {
  const name = def.name ?? basename(file, extname(file));
  if (typeof name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/.test(name)) {
    return { reason: `job name "${String(name)}" is invalid; use letters, digits, '_', '.', ':', '-' (max 128)` };
  }
  const queue = def.queue ?? "default";
  if (!queues.includes(queue)) {
    return { reason: `queue "${queue}" is not configured; configured queues: ${queues.join(", ")} (add it to "queues" in the config)` };
  }
  const attempts = def.attempts ?? DEFAULT_ATTEMPTS;
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > MAX_ATTEMPTS) return { reason: `attempts must be a whole number from 1 to ${MAX_ATTEMPTS}, got ${attempts}` };
  const priority = def.priority ?? 0;
  if (!Number.isInteger(priority) || priority < 0 || priority > MAX_PRIORITY) return { reason: `priority must be a whole number from 0 to ${MAX_PRIORITY}, got ${priority}` };
  if (def.schema !== undefined && typeof (def.schema as { safeParse?: unknown }).safeParse !== "function") {
    return { reason: "schema must be a zod schema (z.object({...}) from \"qworker\")" };
  }
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  let uniqueTtl = DEFAULT_UNIQUE_TTL_MS;
  try {
    if (def.timeout !== undefined) timeoutMs = parseDuration(def.timeout, "timeout");
    if (def.unique?.ttl !== undefined) uniqueTtl = parseDuration(def.unique.ttl, "unique.ttl");
  } catch (err) {
    return { reason: (err as Error).message };
  }
  // A timer cannot wait longer than 2^31 ms (24.8 days); a timeout of 0 would fail every try at once.
  if (timeoutMs < MIN_TIMEOUT_MS || timeoutMs > MAX_TIMEOUT_MS) return { reason: `timeout must be from ${formatDuration(MIN_TIMEOUT_MS)} to ${formatDuration(MAX_TIMEOUT_MS)}, got ${formatDuration(timeoutMs)}` };
  if (uniqueTtl < 1_000 || uniqueTtl > MAX_HOLD_MS) return { reason: `unique.ttl must be from 1s to ${formatDuration(MAX_HOLD_MS)}, got ${formatDuration(uniqueTtl)}` };
  if (def.unique !== undefined && typeof def.unique.key !== "function") return { reason: "unique.key must be a function (payload) => string" };
  if (def.mode !== undefined && !EXEC_MODES.includes(def.mode)) {
    return { reason: `\`mode\` must be ${EXEC_MODES.map((m) => `"${m}"`).join(", ")} or left out (the server's --mode), got ${JSON.stringify(def.mode)}` };
  }
  const [minMb, maxMb] = MAX_MEMORY_MB_RANGE;
  if (def.maxMemoryMb !== undefined && !(Number.isInteger(def.maxMemoryMb) && def.maxMemoryMb >= minMb && def.maxMemoryMb <= maxMb)) {
    return { reason: `\`maxMemoryMb\` must be a whole number of MB from ${minMb} to ${maxMb}, got ${JSON.stringify(def.maxMemoryMb)}` };
  }
  const flow = readEntryFlow(def);
  if (flow && "reason" in flow) return flow;
  const backoff = mergeBackoff(def.backoff);
  if (!(backoff.delayMs >= 0 && backoff.maxMs >= backoff.delayMs && backoff.maxMs <= MAX_HOLD_MS) || !["exponential", "fixed"].includes(backoff.type)) {
    return { reason: `backoff is invalid: type must be "exponential" or "fixed", 0 <= delayMs <= maxMs <= ${formatDuration(MAX_HOLD_MS)}` };
  }

  const entry: JobEntry = {
    name,
    file,
    module,
    queue,
    attempts,
    backoff,
    timeoutMs,
    priority,
    schema: def.schema,
    run: def.run,
    unique: def.unique && { key: def.unique.key, ttlMs: uniqueTtl },
    mode: def.mode,
    maxMemoryMb: def.maxMemoryMb,
    definition: def,
  };
  if (flow) entry.flow = flow;
  if (def.cron !== undefined) {
    const timezone = def.timezone ?? "UTC";
    const problem = typeof def.cron === "string" ? cronProblem({ expression: def.cron, timezone }) : "cron must be a string";
    if (problem) return { reason: problem };
    entry.cron = { expression: def.cron, timezone, payload: def.cronPayload ?? {}, overlap: def.overlap ?? "skip" };
    try {
      parsePayload(entry, entry.cron.payload);
    } catch (err) {
      return { reason: `cronPayload: ${(err as Error).message}` };
    }
  } else if (def.timezone !== undefined) {
    const problem = timezoneProblem(def.timezone);
    if (problem) return { reason: problem };
  }
  return entry;
}
