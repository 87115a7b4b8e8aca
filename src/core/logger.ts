/**
 * Structured logging, one line per event: `pretty` for terminals, `json`
 * for journald/log shippers; by default whichever stderr is. Small on
 * purpose: a logging library would add start-up time to every CLI call for
 * features this needs none of.
 * Messages and fields may carry job text, so both formats make control
 * characters inert (inert.ts): a payload cannot drive the terminal.
 */

import { inert, safeJson } from "./inert.ts";

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
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** Whether "auto" means pretty; default: stderr is a TTY. */
  tty?: boolean;
  /** Defaults to stderr, so stdout stays clean for command output (ids, JSON). */
  write?: (line: string) => void;
  fields?: Record<string, unknown>;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const min = RANK[opts.level ?? "info"];
  const tty = opts.tty ?? process.stderr.isTTY === true;
  const format = opts.format === "pretty" || opts.format === "json" ? opts.format : tty ? "pretty" : "json";
  const write = opts.write ?? ((line: string) => process.stderr.write(line + "\n"));
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
      write(safeJson({ time: new Date().toISOString(), level, msg, ...all }, undefined, plain ? undefined : errorReplacer));
      return;
    }
    const extras = Object.entries(all)
      .map(([k, v]) => `${inert(k)}=${typeof v === "string" ? (/\s/.test(v) ? safeJson(v) : inert(v)) : safeJson(v, undefined, errorReplacer)}`)
      .join(" ");
    const time = new Date().toISOString().slice(11, 23);
    const tag = color ? `${COLOR[level]}${level.toUpperCase().padEnd(5)}\x1b[0m` : level.toUpperCase().padEnd(5);
    write(`${time} ${tag} ${inert(msg)}${extras ? " " + extras : ""}`);
  };

  return {
    debug: (m, f) => log("debug", m, f),
    info: (m, f) => log("info", m, f),
    warn: (m, f) => log("warn", m, f),
    error: (m, f) => log("error", m, f),
    child: (fields) => createLogger({ ...opts, fields: { ...base, ...fields } }),
  };
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};

function errorReplacer(_key: string, value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message } : value;
}
