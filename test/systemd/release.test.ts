/**
 * `npm run release` packs a tarball that works on a bare host: unpacked in
 * an empty directory, with no Bun, no Node and no node_modules anywhere on
 * PATH or above it, `./qworker` runs its example jobs. Packs the binary the
 * suite already built (--skip-build) into a temp dir, not dist/.
 */

import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawnSync } from "bun";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { BINARY, ensureBinary, ROOT } from "../helpers/qworker-binary.ts";

const NAME = `qworker-${pkg.version}-linux-${process.arch}.tar.gz`;
let dir: string;
let unpacked: string;
/** Nothing on PATH: an empty directory. */
let env: Record<string, string>;

beforeAll(() => {
  ensureBinary();
  dir = mkdtempSync(join(tmpdir(), "qw-release-"));
  unpacked = join(dir, "host");
  mkdirSync(unpacked);
  mkdirSync(join(dir, "empty-path"));
  env = { PATH: join(dir, "empty-path"), HOME: dir, NO_COLOR: "1" };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(cmd: string[], cwd: string, extraEnv: Record<string, string> = env): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, { cwd, env: extraEnv, stdout: "pipe", stderr: "pipe", timeout: 120_000 });
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

test("the archive and its .sha256 (sha256sum format); the bad-flag path exits 2", () => {
  const out = join(dir, "out");
  const packed = run([process.execPath, join(ROOT, "release.ts"), "--skip-build", "--out", out], ROOT, { ...process.env } as Record<string, string>);
  expect(packed.stderr).toBe("");
  expect(packed.code).toBe(0);
  expect(readdirSync(out).sort()).toEqual([NAME, `${NAME}.sha256`]);
  expect(readFileSync(join(out, `${NAME}.sha256`), "utf8")).toMatch(new RegExp(`^[0-9a-f]{64}  ${NAME.replaceAll(".", "\\.")}\\n$`));
  const check = run(["sha256sum", "-c", `${NAME}.sha256`], out, { ...process.env } as Record<string, string>);
  expect(check.stdout).toContain(`${NAME}: OK`);
  expect(check.code).toBe(0);

  const untar = run(["tar", "-xzf", join(out, NAME), "-C", unpacked], dir, { ...process.env } as Record<string, string>);
  expect(untar.code).toBe(0);

  const bad = run([process.execPath, join(ROOT, "release.ts"), "--bogus"], ROOT, { ...process.env } as Record<string, string>);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain("bogus");
});

test("it holds the binary, the units, the example config and jobs, README and docs", () => {
  const files = (sub: string) => readdirSync(join(unpacked, sub)).sort();
  expect(files(".")).toEqual(["README.md", "config", "docs", "jobs", "qworker"]);
  expect(files("config")).toEqual(["qworker.json", "qworker.schema.json", "qworker.service", "qworker@.service"]);
  expect(files("jobs")).toEqual(readdirSync(join(ROOT, "jobs")).filter((f) => f !== "node_modules").sort());
  expect(files("docs")).toContain("deploy.md");
  expect(readFileSync(join(unpacked, "qworker")).equals(readFileSync(BINARY))).toBe(true);
});

test("--version and info name the version and the commit baked in at build time", () => {
  const version = run(["./qworker", "--version"], unpacked);
  expect(version.code).toBe(0);
  const m = /^(\S+) \(commit ([0-9a-f]{4,40}(?:-dirty)?|unknown)\)\n$/.exec(version.stdout);
  expect(m?.[1]).toBe(pkg.version);
  const head = spawnSync(["git", "rev-parse", "--short", "HEAD"], { cwd: ROOT, stdout: "pipe" }).stdout.toString().trim();
  expect(m?.[2].replace(/-dirty$/, "")).toBe(head); // baked in: this process has no git on PATH
  const info = JSON.parse(run(["./qworker", "info"], unpacked).stdout);
  expect(info).toMatchObject({ version: pkg.version, commit: m?.[2] });
});

test("unpacked in an empty directory with nothing on PATH, ./qworker runs the example jobs", () => {
  expect(existsSync(join(unpacked, "node_modules"))).toBe(false);
  const ids = [
    run(["./qworker", "enqueue", "send-email", "--data", JSON.stringify({ to: "a@b.co", subject: "hi" })], unpacked),
    run(["./qworker", "enqueue", "report", "--data", JSON.stringify({ rows: 100 })], unpacked),
  ].map((r) => {
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    return r.stdout.trim();
  });
  const burst = run(["./qworker", "run", "--burst", "--admin-port", "0"], unpacked);
  expect(burst.code).toBe(0);
  for (const id of ids) {
    const show = run(["./qworker", "jobs", "show", id, "--json"], unpacked);
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({ id, state: "completed" });
  }
  expect(existsSync(join(unpacked, "data", "qworker.db"))).toBe(true);
});
