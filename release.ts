/**
 * `npm run release`: builds dist/qworker and packs what a server needs into
 * dist/qworker-<version>-linux-<arch>.tar.gz, with a `.sha256` beside it in
 * sha256sum format. The archive unpacks into the current directory: the
 * binary, config/ (the systemd units, the example config and its JSON
 * Schema), the example jobs/, README.md and docs/. Nothing else is needed
 * on the target: no Bun, no Node, no node_modules.
 *
 * The archive is reproducible for a given binary: sorted entries, owner
 * root, every mtime the commit's time, gzip without a timestamp.
 *
 *   bun release.ts [--skip-build] [--out DIR]
 */

import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import pkg from "./package.json" with { type: "json" };

const ROOT = import.meta.dir;

function fail(message: string, code = 1): never {
  console.error(`release: ${message}`);
  process.exit(code);
}

let args: { "skip-build"?: boolean; out?: string };
try {
  args = parseArgs({ options: { "skip-build": { type: "boolean" }, out: { type: "string" } }, strict: true }).values;
} catch (err) {
  fail(`${(err as Error).message}\nusage: bun release.ts [--skip-build] [--out DIR]`, 2);
}
if (process.platform !== "linux") fail(`release archives are for Linux (a systemd host); this is ${process.platform}`, 2);

const outDir = resolve(args.out ?? join(ROOT, "dist"));
if (!args["skip-build"]) {
  const build = spawnSync(process.execPath, ["build.ts"], { cwd: ROOT, stdio: "inherit" });
  if (build.status !== 0) fail("the build failed");
}
const binary = join(ROOT, "dist", "qworker");
if (!existsSync(binary)) fail(`${binary} does not exist: run without --skip-build`, 2);

const name = `qworker-${pkg.version}-linux-${process.arch}.tar.gz`;
const stage = mkdtempSync(join(tmpdir(), "qworker-release-"));
try {
  cpSync(binary, join(stage, "qworker"));
  chmodSync(join(stage, "qworker"), 0o755);
  mkdirSync(join(stage, "config"));
  for (const file of ["qworker.service", "qworker@.service", "qworker.schema.json", "qworker.json"]) {
    const from = join(ROOT, "config", file);
    if (existsSync(from)) cpSync(from, join(stage, "config", file));
    else if (file !== "qworker.json") fail(`config/${file} is missing (it is written by build.ts)`);
  }
  cpSync(join(ROOT, "jobs"), join(stage, "jobs"), { recursive: true, filter: (src) => basename(src) !== "node_modules" });
  cpSync(join(ROOT, "README.md"), join(stage, "README.md"));
  cpSync(join(ROOT, "docs"), join(stage, "docs"), { recursive: true });

  const tar = spawnSync(
    "tar",
    ["--sort=name", "--owner=0", "--group=0", "--numeric-owner", `--mtime=@${sourceEpoch()}`, "--format=gnu", "-cf", "-", "-C", stage, "."],
    { maxBuffer: 1 << 30 },
  );
  if (tar.status !== 0) fail(`tar failed: ${tar.stderr.toString()}`);
  const archive = Bun.gzipSync(new Uint8Array(tar.stdout), { level: 6 });
  mkdirSync(outDir, { recursive: true });
  const target = join(outDir, name);
  writeFileSync(target, archive);
  const hash = new Bun.CryptoHasher("sha256").update(archive).digest("hex");
  writeFileSync(`${target}.sha256`, `${hash}  ${name}\n`);
  console.log(`wrote ${target} (${(archive.length / 1e6).toFixed(1)} MB) and ${name}.sha256`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}

/** SOURCE_DATE_EPOCH if set, else the commit's time, else now. */
function sourceEpoch(): number {
  const fromEnv = Number(process.env.SOURCE_DATE_EPOCH);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  const git = spawnSync("git", ["log", "-1", "--format=%ct"], { cwd: ROOT, encoding: "utf8" });
  const commitTime = Number(git.stdout?.trim());
  return git.status === 0 && commitTime > 0 ? commitTime : Math.floor(Date.now() / 1000);
}
