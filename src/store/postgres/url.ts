/**
 * PostgreSQL URLs in messages and logs: checked for the scheme, and never
 * shown with their password. Apart from connection.ts so that `qworker
 * info` can redact a URL without loading the driver.
 */

import { StoreUnavailableError } from "../../core/errors.ts";

/** Refuses anything but a postgres:// URL, naming it without its password. */
export function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new StoreUnavailableError(`PostgreSQL URL "${redactUrl(url)}" is not a URL; use postgres://[user[:password]@]host[:port]/database`, { cause: err });
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new StoreUnavailableError(`PostgreSQL URL "${redactUrl(url)}" must start with postgres:// or postgresql://`);
  }
}

/** The URL without its password (in the user part or a `password=` parameter), for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    for (const key of [...u.searchParams.keys()]) if (/pass/i.test(key)) u.searchParams.set(key, "***");
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, "//***@").replace(/(pass[a-z]*=)[^&]*/gi, "$1***");
  }
}
