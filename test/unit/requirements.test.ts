/**
 * The rules of test/helpers/requirements.ts, on its pure decisions: a
 * missing tool skips locally and fails in CI with the package to install;
 * a `skipBecause` passes CI only when its reason is allow-listed.
 */

import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ALLOWED_SKIPS, decideSkip, decideTool, MissingToolError, SkipNotAllowedError, TOOLS, type Tool } from "../helpers/requirements.ts";

describe("decideTool", () => {
  test("an installed tool runs, whatever the environment says", () => {
    expect(decideTool("node", "/usr/bin/node", { QWORKER_CI: "1" })).toBe("/usr/bin/node");
  });

  test("a missing tool skips (null) when nothing requires it", () => {
    expect(decideTool("openssl", null, {})).toBeNull();
    expect(decideTool("openssl", null, { QWORKER_REQUIRE_REDIS: "1" })).toBeNull();
  });

  test("its QWORKER_REQUIRE_* makes a missing tool a MissingToolError naming the tool and the apt package", () => {
    const cases: [Tool, string, string][] = [
      ["redis-server", "QWORKER_REQUIRE_REDIS", "apt-get install redis-server"],
      ["redis-cli", "QWORKER_REQUIRE_REDIS", "apt-get install redis-tools"],
      ["node", "QWORKER_REQUIRE_NODE", "apt-get install nodejs"],
      ["npm", "QWORKER_REQUIRE_NODE", "apt-get install npm"],
      ["openssl", "QWORKER_REQUIRE_OPENSSL", "apt-get install openssl"],
      ["chromium", "QWORKER_REQUIRE_CHROMIUM", "apt-get install chromium"],
      ["psql", "QWORKER_REQUIRE_POSTGRES", "apt-get install postgresql-client"],
      ["postgres", "QWORKER_REQUIRE_POSTGRES", "apt-get install postgresql"],
    ];
    for (const [tool, env, apt] of cases) {
      const err = (() => {
        try {
          decideTool(tool, null, { [env]: "1" });
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(MissingToolError);
      expect((err as Error).message).toContain(`${env}=1 but ${tool} is not installed`);
      expect((err as Error).message).toContain(apt);
    }
    expect(Object.keys(TOOLS).sort()).toEqual(cases.map(([t]) => t).sort());
  });

  test("QWORKER_CI=1 requires every tool", () => {
    expect(() => decideTool("chromium", null, { QWORKER_CI: "1" })).toThrow(/QWORKER_CI=1 but chromium is not installed.*apt-get install chromium/);
  });
});

describe("decideSkip", () => {
  test("outside CI any reason may skip", () => {
    expect(() => decideSkip("needs root to mount", {})).not.toThrow();
  });

  test("under QWORKER_CI=1 a reason not in the allow-list is a SkipNotAllowedError naming it", () => {
    expect(() => decideSkip("needs root to mount", { QWORKER_CI: "1" }, {})).toThrow(SkipNotAllowedError);
    expect(() => decideSkip("needs root to mount", { QWORKER_CI: "1" }, {})).toThrow(/"needs root to mount".*ALLOWED_SKIPS/);
  });

  test("under QWORKER_CI=1 an allow-listed reason may skip", () => {
    expect(() => decideSkip("needs root to mount", { QWORKER_CI: "1" }, { "needs root to mount": "CI runs as an unprivileged user" })).not.toThrow();
  });

  test("every allow-listed reason says why CI cannot run it", () => {
    for (const [reason, why] of Object.entries(ALLOWED_SKIPS)) expect({ reason, why: why.trim().length > 10 }).toEqual({ reason, why: true });
  });
});

test("no test file outside the folders owned elsewhere decides a skip by itself (describe.skipIf / test.skipIf / Bun.which)", () => {
  const root = resolve(import.meta.dir, "..");
  const owned = ["e2e", "sqlite", "redis", "client", "unit", "admin", "helpers", "contract", "worker", "scheduler"];
  const offenders: string[] = [];
  for (const dir of owned) {
    for (const file of readdirSync(join(root, dir), { recursive: true }) as string[]) {
      if (!file.endsWith(".ts") || (dir === "helpers" && file === "requirements.ts") || (dir === "unit" && file === "requirements.test.ts")) continue;
      const text = readFileSync(join(root, dir, file), "utf8");
      // A skipIf is fine when its condition is skipBecause(...) (the allow-listed escape).
      for (const m of text.matchAll(/\b(?:describe|test|it)\.skipIf\(([^\n]*)|Bun\.which\(/g)) {
        if (!m[1]?.includes("skipBecause(")) offenders.push(`${dir}/${file}: ${m[0].slice(0, 60)}`);
      }
    }
  }
  expect(offenders).toEqual([]);
});
