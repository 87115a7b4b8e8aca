/**
 * Hides secrets in what qworker prints about its own settings (`info`):
 * the admin token, and the password of a redis://, rediss:// or
 * postgres:// URL. The rest of a URL stays readable, so an operator can
 * still see which server is meant.
 */

export const MASK = "****";

/** The URL with its password (and a token-only userinfo) replaced; text that is not a URL comes back as it is. */
export function maskUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  if (!url.password && !url.username) return text;
  if (url.password) url.password = MASK;
  // "redis://secret@host": a lone user part is the password for Redis' AUTH.
  else if (/^rediss?:$/.test(url.protocol)) url.username = MASK;
  return url.toString();
}

/** Names whose values are secrets as a whole. */
const SECRET_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|PRIVATE|API_?KEY)/i;

/** One setting's value as it may be shown: secrets masked, URLs without their password. */
export function maskSetting(name: string, value: string): string {
  if (SECRET_NAME.test(name)) return value ? `${MASK} (set, ${value.length} chars)` : "";
  return maskUrl(value);
}

/** Every QWORKER_* variable of `env`, masked, sorted by name. */
export function qworkerEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(env).filter((k) => k.startsWith("QWORKER_")).sort()) out[name] = maskSetting(name, env[name] ?? "");
  return out;
}
