/**
 * The e2e helper rebuilds dist/qworker when any input is newer than it, so
 * an e2e run after an edit never tests an old binary. Checked on the pure
 * rule and on a throw-away tree with set mtimes (no build runs here).
 */

import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binaryIsStale, buildInputs, isStale } from "../helpers/qworker-binary.ts";

describe("isStale", () => {
  test("a missing binary is stale", () => {
    expect(isStale(undefined, [])).toBe(true);
  });

  test("stale only when some source is strictly newer than the binary", () => {
    expect(isStale(1_000, [])).toBe(false);
    expect(isStale(1_000, [10, 999, 1_000])).toBe(false);
    expect(isStale(1_000, [10, 1_001, 20])).toBe(true);
  });
});

describe("binaryIsStale on a project tree", () => {
  const root = mkdtempSync(join(tmpdir(), "qw-stale-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const at = (path: string, seconds: number) => utimesSync(path, seconds, seconds);

  mkdirSync(join(root, "src/store/redis/lua"), { recursive: true });
  mkdirSync(join(root, "dist"));
  const deep = join(root, "src/store/redis/lua/reserve.lua");
  const inputs = [join(root, "src/main.ts"), deep, join(root, "build.ts"), join(root, "package.json")];
  for (const f of [...inputs, join(root, "README.md"), join(root, "dist/qworker")]) writeFileSync(f, "x");
  const reset = () => {
    for (const f of inputs) at(f, 1_000);
    at(join(root, "README.md"), 1_000);
    at(join(root, "dist/qworker"), 2_000);
  };

  test("the inputs are every file under src/ (nested too), build.ts and package.json, nothing else", () => {
    expect(buildInputs(root).sort()).toEqual([...inputs].sort());
  });

  test("a binary newer than every input is fresh; other files do not count", () => {
    reset();
    at(join(root, "README.md"), 3_000);
    expect(binaryIsStale(root)).toBe(false);
  });

  test("touching a nested src file, build.ts or package.json makes it stale", () => {
    for (const f of [deep, join(root, "build.ts"), join(root, "package.json")]) {
      reset();
      at(f, 3_000);
      expect({ f, stale: binaryIsStale(root) }).toEqual({ f, stale: true });
    }
  });

  test("no binary at all is stale", () => {
    rmSync(join(root, "dist/qworker"));
    expect(binaryIsStale(root)).toBe(true);
  });
});
