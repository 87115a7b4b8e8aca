/**
 * The one place that decides whether a suite needing an outside tool
 * (redis-server, node, npm, openssl, chromium, psql/postgres) runs.
 *
 * On a developer's machine a missing tool skips the suite and says so, with
 * the package that provides it. In CI a skip would look like a pass, so
 * there a missing tool fails the run at import time: `.ci/run` exports
 * QWORKER_REQUIRE_<GROUP>=1 for every group and QWORKER_CI=1.
 *
 *   const node = requireTool("node");                 // true/false, or throws in CI
 *   describeNeeding("redis-server", "openssl")("redis over TLS", () => { ... });
 *   test.skipIf(!isRoot && skipBecause("mounting needs root"))("…", …);
 */

import { describe } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

export type Tool = "redis-server" | "redis-cli" | "node" | "npm" | "openssl" | "chromium" | "psql" | "postgres";

interface ToolInfo {
  /** The variable that makes this tool mandatory (besides QWORKER_CI=1). */
  env: string;
  /** The Debian/Ubuntu package that provides it. */
  apt: string;
  find(): string | null;
}

/** PostgreSQL's server binaries live under /usr/lib/postgresql/<version>/bin on Debian, off PATH. */
function findPostgresServer(): string | null {
  const onPath = Bun.which("postgres");
  if (onPath) return onPath;
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) return null;
  for (const version of readdirSync(base).sort().reverse()) {
    const bin = join(base, version, "bin", "postgres");
    if (existsSync(bin)) return bin;
  }
  return null;
}

export const TOOLS: Record<Tool, ToolInfo> = {
  "redis-server": { env: "QWORKER_REQUIRE_REDIS", apt: "redis-server", find: () => Bun.which("redis-server") },
  "redis-cli": { env: "QWORKER_REQUIRE_REDIS", apt: "redis-tools", find: () => Bun.which("redis-cli") },
  node: { env: "QWORKER_REQUIRE_NODE", apt: "nodejs", find: () => Bun.which("node") },
  npm: { env: "QWORKER_REQUIRE_NODE", apt: "npm", find: () => Bun.which("npm") },
  openssl: { env: "QWORKER_REQUIRE_OPENSSL", apt: "openssl", find: () => Bun.which("openssl") },
  chromium: { env: "QWORKER_REQUIRE_CHROMIUM", apt: "chromium", find: () => (existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : Bun.which("chromium")) },
  psql: { env: "QWORKER_REQUIRE_POSTGRES", apt: "postgresql-client", find: () => Bun.which("psql") },
  postgres: { env: "QWORKER_REQUIRE_POSTGRES", apt: "postgresql", find: findPostgresServer },
};

/**
 * Reasons a test may give `skipBecause` and still pass CI, each with why no
 * CI machine can run it. Empty on purpose: add one only for an environment
 * CI truly cannot provide (e.g. a test that must mount a filesystem as
 * root), never for a tool `.ci/run` could install.
 */
export const ALLOWED_SKIPS: Readonly<Record<string, string>> = {
  "mounting a file system needs root":
    "only a developer running the suite without root skips it; .ci/run runs as root (it apt-gets), so CI mounts and runs it",
};

export class MissingToolError extends Error {
  override readonly name = "MissingToolError";
}

export class SkipNotAllowedError extends Error {
  override readonly name = "SkipNotAllowedError";
}

type Env = Record<string, string | undefined>;

/** Pure decision, for tests of this module: the tool's path, null to skip, or a throw when CI requires it. */
export function decideTool(tool: Tool, found: string | null, env: Env): string | null {
  if (found) return found;
  const info = TOOLS[tool];
  const strict = env[info.env] === "1" ? info.env : env.QWORKER_CI === "1" ? "QWORKER_CI" : undefined;
  if (strict) {
    throw new MissingToolError(`${strict}=1 but ${tool} is not installed; install it (apt-get install ${info.apt}) or unset ${strict} to skip the suites that need it`);
  }
  return null;
}

/** Pure decision for `skipBecause`: returns when the skip is allowed, throws under QWORKER_CI=1 otherwise. */
export function decideSkip(reason: string, env: Env, allowed: Readonly<Record<string, string>> = ALLOWED_SKIPS): void {
  if (env.QWORKER_CI === "1" && !(reason in allowed)) {
    throw new SkipNotAllowedError(`QWORKER_CI=1 and a test wants to skip: "${reason}"; make it run in CI, or add the reason to ALLOWED_SKIPS in test/helpers/requirements.ts with why CI cannot run it`);
  }
}

const paths = new Map<Tool, string | null>();
const announced = new Set<Tool>();

/** The tool's path, or undefined when it is missing (after saying so once); throws when CI requires it. */
export function toolPath(tool: Tool): string | undefined {
  if (!paths.has(tool)) paths.set(tool, decideTool(tool, TOOLS[tool].find(), process.env));
  const found = paths.get(tool);
  if (!found && !announced.has(tool)) {
    announced.add(tool);
    const info = TOOLS[tool];
    console.warn(`skipping suites that need ${tool}: not installed (apt-get install ${info.apt}); ${info.env}=1 or QWORKER_CI=1 makes this a failure`);
  }
  return found ?? undefined;
}

/** Whether `tool` is installed; in CI (its QWORKER_REQUIRE_* or QWORKER_CI=1) a missing tool throws instead. */
export function requireTool(tool: Tool): boolean {
  return toolPath(tool) !== undefined;
}

/** `describe` when every tool is installed, else `describe.skip`; call it at the top of a test file so CI fails at import. */
export function describeNeeding(...tools: Tool[]): typeof describe {
  const missing = tools.filter((t) => !requireTool(t));
  return missing.length ? describe.skip : describe;
}

/**
 * For a test that cannot run in some environment for a reason no package
 * fixes. Prints the reason and returns true (use it as a skipIf condition,
 * behind the check that makes it necessary); under QWORKER_CI=1 it throws
 * unless the reason is listed in ALLOWED_SKIPS.
 */
export function skipBecause(reason: string): true {
  decideSkip(reason, process.env);
  console.warn(`skipping: ${reason}`);
  return true;
}
