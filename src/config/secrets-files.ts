/**
 * Secrets that should not sit on a command line (where `ps` shows them to
 * every user) nor in a world-readable config: the admin token read from a
 * file (`--admin-token-file`, `admin.tokenFile`), and systemd credentials
 * (`LoadCredential=admin-token:/etc/qworker/admin-token` puts it in
 * `$CREDENTIALS_DIRECTORY`, readable by the service alone). Read once, at
 * config load; what was read is never echoed back, even in an error.
 */

import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../core/errors.ts";

/** A token file is a few dozen bytes; anything bigger is the wrong file. */
const MAX_SECRET_FILE_BYTES = 4_096;

/** systemd credential names qworker reads from $CREDENTIALS_DIRECTORY, and the setting each fills. */
export const CREDENTIALS = { "admin-token": "admin.token" } as const;

/** The file's content without its trailing newline; errors name the file and the setting, never the content. */
export function readSecretFile(file: string, setting: string): string {
  let st;
  try {
    st = statSync(file);
  } catch (err) {
    throw new ConfigError(`${setting}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`);
  }
  if (!st.isFile()) throw new ConfigError(`${setting}: ${file} is not a regular file`);
  if (st.size > MAX_SECRET_FILE_BYTES) throw new ConfigError(`${setting}: ${file} is ${st.size} bytes; a secret file holds the secret alone (at most ${MAX_SECRET_FILE_BYTES} bytes)`);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`${setting}: cannot read ${file}: ${(err as Error).message}`);
  }
  const secret = text.replace(/\r?\n$/, "");
  if (secret.trim() === "") throw new ConfigError(`${setting}: ${file} is empty; put the secret in it`);
  if (/[\r\n]/.test(secret)) throw new ConfigError(`${setting}: ${file} holds more than one line; put the secret alone in it`);
  return secret;
}

/** A systemd credential's content, when the service was given one by that name. */
export function readCredential(name: keyof typeof CREDENTIALS, env: Record<string, string | undefined>): string | undefined {
  const dir = env.CREDENTIALS_DIRECTORY;
  if (!dir) return undefined;
  const file = join(dir, name);
  return existsSync(file) ? readSecretFile(file, `systemd credential ${name}`) : undefined;
}
