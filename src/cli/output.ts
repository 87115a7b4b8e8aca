/**
 * Terminal output for the CLI: aligned tables and a one-line progress bar.
 * Hand-written on purpose: together ~60 lines, no start-up cost, and no
 * dependency tree in the binary for two small jobs. Every cell and message
 * is made inert (src/core/inert.ts): job text never reaches the terminal raw.
 */

import { inert, safeJson } from "../core/inert.ts";

/** Aligned columns; `right` lists the columns (numbers) aligned to the right. */
export function table(headers: string[], rows: (string | number | undefined)[][], opts: { right?: number[] } = {}): string {
  const right = new Set(opts.right ?? []);
  const cells = rows.map((r) => r.map((c) => (c === undefined ? "-" : inert(String(c)))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]) : i === r.length - 1 ? c : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(headers.map((h) => h.toUpperCase())), ...cells.map(line)].join("\n");
}

export function progressBar(pct: number, msg = "", width = 30): string {
  const p = Math.max(0, Math.min(100, pct));
  const full = Math.round((p / 100) * width);
  return `[${"#".repeat(full)}${"-".repeat(width - full)}] ${p.toFixed(0).padStart(3)}%${msg ? " " + inert(msg) : ""}`;
}

export function ago(then: number | undefined, now = Date.now()): string | undefined {
  if (then === undefined) return undefined;
  const s = Math.round((now - then) / 1000);
  if (Math.abs(s) < 60) return s >= 0 ? `${s}s ago` : `in ${-s}s`;
  const m = Math.round(s / 60);
  if (Math.abs(m) < 60) return m >= 0 ? `${m}m ago` : `in ${-m}m`;
  const h = Math.round(m / 60);
  if (Math.abs(h) < 48) return h >= 0 ? `${h}h ago` : `in ${-h}h`;
  return new Date(then).toISOString();
}

export function printJson(value: unknown): void {
  process.stdout.write(safeJson(value, 2) + "\n");
}
