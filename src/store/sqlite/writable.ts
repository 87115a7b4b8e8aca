/**
 * A SQLite store that cannot be written must not start: before this check,
 * `run` against a read-only file logged "ready", answered /health with 200
 * and then failed every second, forever. SQLite in WAL mode writes the
 * database, and a -wal and a -shm file beside it, so both the file and its
 * folder must be writable. The reason is said the way an operator fixes it:
 * "read-only file", "read-only file system", "permission denied for user
 * nobody".
 */

import { accessSync, constants, existsSync, readFileSync, statSync } from "node:fs";
import { userInfo } from "node:os";
import { dirname } from "node:path";

/** Why `path` cannot be used as a writable SQLite store, or undefined when it can. */
export function unwritableReason(path: string): string | undefined {
  const dir = dirname(path);
  // The folder is created by the open if missing; check the nearest one that exists.
  let existing = dir;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  const dirProblem = denied(existing, "folder");
  if (dirProblem) return `${dirProblem}: SQLite writes its -wal and -shm files beside the database (folder ${existing})`;
  if (!existsSync(path)) return undefined;
  if (!statSync(path).isFile()) return "it is not a regular file";
  return denied(path, "file");
}

function denied(path: string, what: "file" | "folder"): string | undefined {
  try {
    accessSync(path, constants.W_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EROFS") return "read-only file system";
    if (code === "EACCES" || code === "EPERM") {
      const mode = statSync(path).mode;
      if (what === "file" && (mode & 0o222) === 0) return `read-only ${what} (mode ${(mode & 0o777).toString(8).padStart(4, "0")})`;
      return `permission denied for user ${user()}`;
    }
    return `cannot write it (${code ?? String(err)})`;
  }
}

/** Who we run as, by name: the operator fixes permissions for a user, not a uid. */
function user(): string {
  const uid = process.getuid?.();
  try {
    const name = userInfo().username;
    if (name && name !== "unknown") return name;
  } catch {
    // No passwd entry through libc: look it up below.
  }
  try {
    const line = readFileSync("/etc/passwd", "utf8")
      .split("\n")
      .find((l) => l.split(":")[2] === String(uid));
    if (line) return line.split(":")[0];
  } catch {
    // No /etc/passwd (a minimal container): the uid will do.
  }
  return `uid ${uid ?? "?"}`;
}
