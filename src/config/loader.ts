/**
 * Resolves the configuration: flags > QWORKER_* env > config file >
 * defaults, validated once by the zod schema. A bad value is reported with
 * where it came from (the flag, the env var, or the file and field), so the
 * user knows what to edit.
 */

import { existsSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import type { z } from "zod";
import { formatDuration } from "../core/duration.ts";
import { ConfigError } from "../core/errors.ts";
import { JsoncError, parseJsonc } from "./jsonc.ts";
import { readCredential, readSecretFile } from "./secrets-files.ts";
import { ALL_OPTIONS, type SharedOption } from "./options.ts";
import { configSchema, type Config } from "./schema.ts";

export const DEFAULT_CONFIG_FILE = "config/qworker.json";

export interface LoadConfigParams {
  /** Parsed flags by flag name (`redis-url`), as yargs gives them; undefined = not given. */
  flags?: Record<string, unknown>;
  env?: Record<string, string | undefined>;
  cwd?: string;
}

export interface LoadedConfig {
  config: Config;
  /** Absolute path of the file that was read, if any. */
  file?: string;
  /** Things that work but should not be done (a secret on the command line); `run` logs them. */
  warnings: string[];
}

interface Override {
  path: string[];
  value: unknown;
  source: string;
}

export function loadConfig(params: LoadConfigParams = {}): LoadedConfig {
  const flags = params.flags ?? {};
  const env = params.env ?? process.env;
  const cwd = params.cwd ?? process.cwd();

  for (const opt of [...ALL_OPTIONS]) {
    // yargs collects a repeated flag into an array: `--db A --db B` would open "A,B".
    if (opt.type !== "list" && Array.isArray(flags[opt.flag])) {
      throw new ConfigError(`--${opt.flag} is given ${(flags[opt.flag] as unknown[]).length} times; give it once`);
    }
  }
  const explicitFile = pick(flags.config) ?? env.QWORKER_CONFIG;
  const file = resolve(cwd, explicitFile ?? DEFAULT_CONFIG_FILE);
  let fromFile: Record<string, unknown> = {};
  let fileRead: string | undefined;
  if (existsSync(file)) {
    fromFile = readJsonObject(file);
    fileRead = file;
  } else if (explicitFile) {
    throw new ConfigError(`config file ${file} does not exist (from ${pick(flags.config) ? "--config" : "QWORKER_CONFIG"}); create it or drop the option`);
  }

  const overrides: Override[] = [];
  for (const opt of ALL_OPTIONS) {
    if (!opt.path) continue;
    const envValue = env[opt.env];
    if (envValue !== undefined && envValue !== "") overrides.push({ path: opt.path, value: coerce(opt, envValue, `env ${opt.env}`), source: `env ${opt.env}` });
    const flagValue = flags[opt.flag];
    if (flagValue !== undefined) overrides.push({ path: opt.path, value: coerce(opt, flagValue, `flag --${opt.flag}`), source: `flag --${opt.flag}` });
  }

  const merged = structuredClone(fromFile);
  for (const o of overrides) setPath(merged, o.path, o.value);

  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error.issues, overrides, fileRead, cwd));
  const config = parsed.data;
  // Relative paths in a config file mean relative to the directory qworker runs in.
  config.jobs = absolute(cwd, config.jobs);
  config.store.db = config.store.db === ":memory:" ? config.store.db : absolute(cwd, config.store.db);
  resolveAdminToken(config, env, cwd, fileRead);
  checkConsistency(config, fileRead);
  const warnings: string[] = [];
  if (flags["admin-token"] !== undefined) {
    warnings.push("the admin token was given with --admin-token, so every user of this host can read it in `ps`; use --admin-token-file, QWORKER_ADMIN_TOKEN or systemd's LoadCredential=admin-token instead");
  }
  return { config, file: fileRead, warnings };
}

/** admin.tokenFile, else a systemd credential, fills admin.token; giving a token two ways is an error. */
function resolveAdminToken(config: Config, env: Record<string, string | undefined>, cwd: string, file: string | undefined): void {
  const { admin } = config;
  let token: string | undefined;
  let from: string;
  if (admin.tokenFile !== undefined) {
    if (admin.token !== undefined) throw new ConfigError(`${file ?? "config"}: admin.token and admin.tokenFile are both set (by flag, env or file); give the token one way`);
    from = absolute(cwd, admin.tokenFile);
    token = readSecretFile(from, "admin.tokenFile");
  } else if (admin.token === undefined) {
    token = readCredential("admin-token", env);
    from = `$CREDENTIALS_DIRECTORY/admin-token`;
  } else return;
  if (token === undefined) return;
  if (token.length < 16) throw new ConfigError(`the admin token in ${from} is ${token.length} characters; it must be at least 16`);
  admin.token = token;
}

function checkConsistency(config: Config, file: string | undefined): void {
  const where = file ?? "config";
  for (const q of config.worker.queues ?? []) {
    if (!config.queues.includes(q)) {
      throw new ConfigError(`${where}: worker.queues names "${q}", which is not in queues [${config.queues.join(", ")}]; add it to "queues" or drop it`);
    }
  }
  if (new Set(config.queues).size !== config.queues.length) throw new ConfigError(`${where}: queues lists a queue twice`);
  const { leaderTtl, leaderRenew } = config.scheduler;
  // A leader that renews less than twice per lease loses it to one slow renewal.
  if (leaderRenew * 2 > leaderTtl) {
    throw new ConfigError(`${where}: scheduler.leaderRenew (${formatDuration(leaderRenew)}) must be at most half of scheduler.leaderTtl (${formatDuration(leaderTtl)})`);
  }
  for (const [tag, queues] of Object.entries(config.store.queueTags ?? {})) {
    for (const q of queues) {
      if (!config.queues.includes(q)) throw new ConfigError(`${where}: store.queueTags.${tag} names "${q}", which is not in queues [${config.queues.join(", ")}]`);
    }
  }
  const names = new Set<string>();
  for (const [i, s] of config.schedules.entries()) {
    const name = s.name ?? s.job;
    if (names.has(name)) throw new ConfigError(`${where}: schedules[${i}]: a schedule named "${name}" already exists; give it a distinct "name"`);
    names.add(name);
  }
}

/** Config files larger than this are refused before reading: a config is a few kilobytes. */
const MAX_CONFIG_BYTES = 1024 * 1024;

function readJsonObject(file: string): Record<string, unknown> {
  let text: string;
  try {
    // A FIFO or a device would block the read forever, or never end.
    const st = statSync(file);
    if (!st.isFile()) throw new ConfigError(`config file ${file} is not a regular file; point --config at a JSON file`);
    if (st.size > MAX_CONFIG_BYTES) throw new ConfigError(`config file ${file} is ${st.size} bytes; a config file may be at most ${MAX_CONFIG_BYTES} bytes`);
    text = readFileSync(file, "utf8");
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`, { cause: err });
  }
  let value: unknown;
  try {
    value = parseJsonc(text);
  } catch (err) {
    const where = err instanceof JsoncError ? `${file}:${err.line}:${err.column}` : file;
    const why = err instanceof JsoncError ? err.reason : (err as Error).message;
    throw new ConfigError(`config file ${where} is not valid JSON: ${why} (comments and trailing commas are fine)`, { cause: err });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new ConfigError(`config file ${file} must hold a JSON object`);
  return value as Record<string, unknown>;
}

function coerce(opt: SharedOption, raw: unknown, source: string): unknown {
  if (opt.type === "number") {
    const n = typeof raw === "number" ? raw : Number(String(raw).trim());
    if (String(raw).trim() === "" || !Number.isFinite(n)) throw new ConfigError(`${source}: "${raw}" is not a number`);
    return n;
  }
  if (opt.type === "boolean") {
    if (typeof raw === "boolean") return raw;
    const text = String(raw).trim().toLowerCase();
    if (["1", "true", "yes", "on"].includes(text)) return true;
    if (["0", "false", "no", "off"].includes(text)) return false;
    throw new ConfigError(`${source}: "${raw}" is not a yes/no value; use 1 or 0, true or false`);
  }
  if (opt.type === "list") {
    const items = (Array.isArray(raw) ? raw.map(String) : String(raw).split(",")).map((s) => s.trim()).filter(Boolean);
    if (items.length === 0) throw new ConfigError(`${source}: give at least one name, comma-separated`);
    return items;
  }
  return String(raw);
}

function describeIssues(issues: z.core.$ZodIssue[], overrides: Override[], file: string | undefined, cwd: string): string {
  const lines = issues.map((issue) => {
    const path = issue.path.map(String);
    const keys = issue.code === "unrecognized_keys" ? ` (unknown key${issue.keys.length > 1 ? "s" : ""}: ${issue.keys.join(", ")}; check the spelling)` : "";
    const override = [...overrides].reverse().find((o) => o.path.every((p, i) => path[i] === p));
    const field = path.length ? path.join(".") : "(top level)";
    const origin = override ? override.source : file ? `${relativeTo(cwd, file)}: ${field}` : `config: ${field}`;
    return `  ${origin}: ${issue.message}${keys}`;
  });
  return `invalid configuration:\n${lines.join("\n")}`;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== "object" || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

function pick(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

function absolute(cwd: string, p: string): string {
  return isAbsolute(p) ? p : resolve(cwd, p);
}

function relativeTo(cwd: string, file: string): string {
  return file.startsWith(cwd + "/") ? file.slice(cwd.length + 1) : file;
}
