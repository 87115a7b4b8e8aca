/**
 * Random values for the fuzzers: JSON-ish data with the shapes that break
 * naive code (deep nesting, huge and odd numbers, long strings, control
 * bytes and escapes, prototype keys), and hostile text.
 */

import type { Rng } from "./random.ts";

const ODD_STRINGS = [
  "",
  " ",
  "\u0000",
  "\u001b[31mred\u001b[0m",
  "\u001b]8;;http://evil\u0007link",
  "\r\nX-Injected: 1",
  "\u202eevil",
  "💥",
  "\ud800",
  "__proto__",
  "constructor",
  "toString",
  "../../etc/passwd",
  "%00",
  "a@b.co",
  "not-an-email",
  "2026-13-45",
  "1e300",
  "-0",
  "NaN",
  "Infinity",
  "null",
  '{"a":1}',
];

const ODD_NUMBERS = [0, -0, 1, -1, 0.5, 1e300, -1e300, 2 ** 53, 2 ** 53 + 2, Number.MAX_SAFE_INTEGER, Number.MIN_VALUE, 3600, 86_400 * 3650, 86_400 * 3651];

export function randomText(rng: Rng, maxLength = 40): string {
  if (rng.chance(0.4)) return rng.pick(ODD_STRINGS);
  if (rng.chance(0.05)) return "x".repeat(rng.int(200_000));
  const n = rng.int(maxLength);
  let s = "";
  for (let i = 0; i < n; i++) {
    const r = rng.next();
    s += r < 0.7 ? String.fromCharCode(97 + rng.int(26)) : r < 0.85 ? String.fromCharCode(rng.int(32)) : r < 0.95 ? rng.pick(["-", "_", ".", " ", ":", "/", "\\", '"', "'", "*", ","]) : String.fromCharCode(rng.int(0xffff));
  }
  return s;
}

export function randomNumber(rng: Rng): number {
  return rng.chance(0.5) ? rng.pick(ODD_NUMBERS) : (rng.next() - 0.5) * 10 ** rng.int(12);
}

/** A JSON value (sometimes one JSON cannot carry, such as a function or a cycle-free but 200-deep array). */
export function randomValue(rng: Rng, depth = 0): unknown {
  const r = rng.next();
  if (depth > 4 || r < 0.35) {
    const k = rng.int(6);
    if (k === 0) return randomText(rng);
    if (k === 1) return randomNumber(rng);
    if (k === 2) return rng.chance(0.5);
    if (k === 3) return null;
    if (k === 4) return undefined;
    return rng.pick([Number.NaN, Number.POSITIVE_INFINITY, "x"]);
  }
  if (r < 0.4) return deep(rng.int(200));
  if (r < 0.7) return Array.from({ length: rng.int(5) }, () => randomValue(rng, depth + 1));
  const obj: Record<string, unknown> = {};
  for (let i = rng.int(5); i > 0; i--) obj[rng.chance(0.7) ? rng.pick(["to", "subject", "month", "tags", "n", "id"]) : randomText(rng, 12)] = randomValue(rng, depth + 1);
  return obj;
}

function deep(levels: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}
