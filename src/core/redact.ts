/**
 * Secrets must never reach a log line or printed config: the admin token,
 * and the passwords inside store URLs (redis://:pw@host, postgres://u:pw@h).
 * Two nets, because either alone misses something: every `scheme://user:pw@`
 * in any text loses its password, whatever produced the text (a driver's
 * error message, a URL in a field); and the secrets this process knows are
 * replaced wherever they appear, even outside a URL.
 */

/** `scheme://user:password@`: the password is the second group. */
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@"'\\]*:)([^\s@/?#"'\\]+)@/gi;
const REDACTED = "***";
/** Shorter "secrets" would blank out ordinary words. */
const MIN_SECRET_LENGTH = 4;

/** The text with every URL password and every known secret replaced by `***`. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  // Known secrets first: a password with an "@" in it would otherwise be cut in two by the URL rule.
  for (const s of secrets) if (out.includes(s)) out = out.replaceAll(s, REDACTED);
  // Most lines hold no URL at all: skip the regex for them (it is a tenth of a log line's cost).
  return out.includes("://") ? out.replace(URL_CREDENTIALS, `$1${REDACTED}@`) : out;
}

/**
 * The secrets a config holds, in every spelling a log line may show them:
 * as written, percent-decoded, and JSON-escaped. Walks the whole config, so
 * a store URL added later is covered without touching this file.
 */
export function secretsIn(config: unknown, token?: string): string[] {
  const found = new Set<string>();
  const add = (s: string | undefined) => {
    if (s === undefined || s.length < MIN_SECRET_LENGTH) return;
    found.add(s);
    const escaped = JSON.stringify(s).slice(1, -1);
    if (escaped !== s) found.add(escaped);
  };
  add(token);
  const walk = (v: unknown, depth: number) => {
    if (depth > 8) return;
    if (typeof v === "string") {
      for (const m of v.matchAll(URL_CREDENTIALS)) {
        add(m[2]);
        add(decodeOrSame(m[2]));
      }
    } else if (Array.isArray(v)) {
      for (const x of v) walk(x, depth + 1);
    } else if (v !== null && typeof v === "object") {
      for (const x of Object.values(v)) walk(x, depth + 1);
    }
  };
  walk(config, 0);
  // Longest first: a secret that contains another is replaced whole.
  return [...found].sort((a, b) => b.length - a.length);
}

function decodeOrSame(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
