/**
 * Durations as people write them in job modules and config ("5m", "1h",
 * "250ms", or a number of milliseconds), parsed once at the edge.
 */

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/;

export type Duration = number | string;

/** Milliseconds, or undefined when the text is not a duration. */
export function tryParseDuration(value: Duration): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : undefined;
  const m = PATTERN.exec(value);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNITS[m[2]]);
}

export function parseDuration(value: Duration, where: string): number {
  const ms = tryParseDuration(value);
  if (ms === undefined) {
    throw new TypeError(`${where}: "${value}" is not a duration; use milliseconds or a number with ms, s, m, h, d or w (e.g. "30s", "5m")`);
  }
  return ms;
}

export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1_000)}s`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)}h${Math.round((ms % 3_600_000) / 60_000)}m`;
  return `${Math.floor(ms / 86_400_000)}d${Math.round((ms % 86_400_000) / 3_600_000)}h`;
}
