/**
 * Text that came from jobs (payloads, progress messages, errors, log
 * fields) is untrusted: an ESC or C1 CSI sequence in it would retitle,
 * clear or repaint the operator's terminal, and a CR or NL could forge
 * lines. Every terminal-facing output (tables, detail views, progress
 * bars, the pretty log, error lines) passes its text through `inert`,
 * which turns such characters into visible escapes like `\x1b`.
 * JSON output goes through `safeJson`, which also escapes what
 * JSON.stringify leaves raw (DEL, C1, line separators, bidi overrides).
 */

/** C0, DEL, C1, the Unicode line separators and the bidi controls that reorder what a reader sees. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { "\t": "\\t", "\n": "\\n", "\r": "\\r" };

function escapeChar(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

/** The text with every control character shown as a visible escape; safe to print on one line. */
export function inert(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** Like `inert`, but keeps line breaks (for stacks and multi-line messages); each line is made inert. */
export function inertLines(text: string): string {
  return text
    .split(/\r?\n/)
    .map((line) => inert(line))
    .join("\n");
}

const JSON_UNSAFE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** JSON.stringify, plus \u escapes for the characters it would print raw that a terminal may act on. */
export function safeJson(value: unknown, indent?: number, replacer?: (key: string, value: unknown) => unknown): string {
  const text = JSON.stringify(value, replacer as never, indent);
  if (text === undefined) return "null";
  return text.replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
