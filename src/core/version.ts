/**
 * The version and the git commit this binary was built from, for
 * `qworker --version` and `qworker info`. build.ts bakes the commit in with
 * Bun.build `define` (QWORKER_COMMIT), so a binary copied to a server still
 * says which source it is; from source it is asked of git, lazily, so no
 * other command pays for spawning git.
 */

import { spawnSync } from "node:child_process";
import { dirname } from "node:path";
import pkg from "../../package.json" with { type: "json" };

/** Replaced by a string literal in the compiled binary; undeclared from source. */
declare const QWORKER_COMMIT: string | undefined;

export const VERSION: string = pkg.version;

let commit: string | undefined;

/** Short hash ("-dirty" when built from a modified tree), or "unknown" outside a git checkout. */
export function gitCommit(): string {
  commit ??= typeof QWORKER_COMMIT === "string" ? QWORKER_COMMIT : askGit();
  return commit;
}

/** `0.1.0 (commit 1a2b3c4)`: what `--version` prints. */
export function versionLine(): string {
  return `${VERSION} (commit ${gitCommit()})`;
}

function askGit(): string {
  try {
    const r = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: dirname(import.meta.path), encoding: "utf8", timeout: 5_000 });
    const hash = r.status === 0 ? r.stdout.trim() : "";
    return /^[0-9a-f]{4,40}$/.test(hash) ? hash : "unknown";
  } catch {
    return "unknown";
  }
}
