/**
 * Structured logging, one line per event: `pretty` for terminals, `json`
 * for journald/log shippers; by default whichever stderr is. Small on
 * purpose: a logging library would add start-up time to every CLI call for
 * features this needs none of.
 * Messages and fields may carry job text, so both formats make control
 * characters inert (inert.ts): a payload cannot drive the terminal.
 * An Error in a field keeps its stack and its `cause` chain in both formats,
 * and every line passes redact.ts on its way out: URL passwords and the
 * secrets the process knows (`secrets`) never reach the log.
 */

import { inert, inertLines, safeJson } from "./inert.ts";
import { writeLogLine } from "./log-sink.ts";
import { redactText } from "./redact.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";
/** "auto": pretty when stderr is a terminal, JSON lines when it is journald, a file or a pipe. */
export type LogFormat = "auto" | "pretty" | "json";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const COLOR: Record<LogLevel, string> = { debug: "\x1b[90m", info: "\x1b[36m", warn: "\x1b[33m", error: "\x1b[31m" };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
  /**
   * How a logger made by createLogger writes to stderr, so another thread
   * can write lines that look the same (the event-loop watchdog must log
   * while this thread is blocked). Absent for other loggers.
   */
  readonly settings?: LoggerSettings;
}

export interface LoggerSettings {
  level: LogLevel;
  format: "pretty" | "json";
  tty: boolean;
  fields: Record<string, unknown>;
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** Whether "auto" means pretty; default: stderr is a TTY. */
  tty?: boolean;
  /** Defaults to stderr, so stdout stays clean for command output (ids, JSON). */
  write?: (line: string) => void;
  fields?: Record<string, unknown>;
  /** Replaced by `***` wherever they appear (the admin token, store passwords): see secretsIn(). */
  secrets?: readonly string[];
}

/** How deep a `cause` chain is followed. */
const MAX_CAUSES = 5;

export function createLogger(opts: LoggerOptions = {}): Logger {
  const min = RANK[opts.level ?? "info"];
  const tty = opts.tty ?? process.stderr.isTTY === true;
  const format = opts.format === "pretty" || opts.format === "json" ? opts.format : tty ? "pretty" : "json";
  const out = opts.write ?? writeLogLine;
  const secrets = opts.secrets ?? [];
  const write = (line: string) => out(redactText(line, secrets));
  const base = opts.fields ?? {};
  const color = format === "pretty" && tty;

  const log = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < min) return;
    try {
      line(level, msg, fields);
    } catch {
      // A field that cannot be shown (a cycle, a BigInt, absurd nesting) must not turn logging into a crash.
      line(level, msg, { fields: "(could not be serialised)" });
    }
  };

  const line = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    const all: Record<string, unknown> = {};
    // Only values that are objects (an Error, say) need the replacer, which slows JSON.stringify down
    // a lot: a worker writes a line per finished job, nearly always of plain strings and numbers.
    let plain = true;
    const add = (k: string, v: unknown) => {
      if (v === undefined) return;
      all[k] = v;
      if (v !== null && typeof v === "object") plain = false;
    };
    for (const k in base) add(k, base[k]);
    if (fields) for (const k in fields) add(k, fields[k]);
    if (format === "json") {
      write(safeJson({ time: isoNow(), level, msg, ...all }, undefined, plain ? undefined : errorReplacer));
      return;
    }
    const stacks: string[] = [];
    const extras = Object.entries(all)
      .map(([k, v]) => {
        if (v instanceof Error) {
          stacks.push(prettyError(v));
          return `${inert(k)}=${safeJson(`${v.name}: ${v.message}`)}`;
        }
        return `${inert(k)}=${typeof v === "string" ? (/\s/.test(v) ? safeJson(v) : inert(v)) : safeJson(v, undefined, errorReplacer)}`;
      })
      .join(" ");
    const time = isoNow().slice(11, 23);
    const tag = color ? `${COLOR[level]}${level.toUpperCase().padEnd(5)}\x1b[0m` : level.toUpperCase().padEnd(5);
    write(`${time} ${tag} ${inert(msg)}${extras ? " " + extras : ""}${stacks.map((s) => "\n" + s).join("")}`);
  };

  return {
    debug: (m, f) => log("debug", m, f),
    info: (m, f) => log("info", m, f),
    warn: (m, f) => log("warn", m, f),
    error: (m, f) => log("error", m, f),
    child: (fields) => createLogger({ ...opts, fields: { ...base, ...fields } }),
    settings: opts.write ? undefined : { level: opts.level ?? "info", format, tty, fields: base },
  };
}

/** The time of a line; lines logged in the same millisecond share one string. */
let lastMs = -1;
let lastIso = "";
function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};

function errorReplacer(_key: string, value: unknown): unknown {
  return value instanceof Error ? errorFields(value, 0) : value;
}

/** An Error as JSON: name, message, code, stack and the cause chain (non-Error causes as they are). */
export function errorFields(err: Error, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = { name: err.name, message: err.message };
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" || typeof code === "number") out.code = code;
  if (err.stack) out.stack = err.stack;
  const cause = (err as { cause?: unknown }).cause;
  if (cause !== undefined && depth < MAX_CAUSES) out.cause = cause instanceof Error ? errorFields(cause, depth + 1) : cause;
  return out;
}

/** The stack frames of an error and of each cause, indented under the log line, every line inert. */
function prettyError(err: Error): string {
  const out: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== undefined && depth <= MAX_CAUSES; depth++) {
    if (!(e instanceof Error)) {
      out.push(`  caused by: ${safeJson(e, undefined, errorReplacer)}`);
      break;
    }
    if (depth > 0) out.push(`  caused by: ${e.name}: ${e.message}`);
    for (const frame of framesOf(e)) out.push(`      ${frame}`);
    e = (e as { cause?: unknown }).cause;
  }
  return inertLines(out.join("\n"));
}

/** The "at ..." lines of a stack, without the header that repeats the message. */
function framesOf(err: Error): string[] {
  return (err.stack ?? "")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("at "));
}
