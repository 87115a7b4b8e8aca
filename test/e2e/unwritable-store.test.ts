/**
 * A SQLite store qworker cannot write must stop `run` at once with exit 3,
 * naming the path and the reason (before, `run` logged "ready", answered
 * /health with 200 and failed every second, forever). Tried as root would
 * not: as user nobody (root writes a 0444 file anyway), and on a read-only
 * mount. Also: a read-only command never creates a store at a mistyped path.
 */

import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { BINARY, ensureBinary, makeProject, qw, type Project } from "../helpers/qworker-binary.ts";
import { skipBecause } from "../helpers/requirements.ts";

const isRoot = process.getuid?.() === 0;

let project: Project | undefined;
afterEach(() => {
  if (project && isRoot) Bun.spawnSync(["umount", "-l", join(project.dir, "data")], { stderr: "ignore" });
  project?.cleanup();
  project = undefined;
});

/** `qworker run` as a user that is not root: nobody when we are root (root may write anything), else ourselves. */
async function runAsUser(dir: string): Promise<{ code: number; stderr: string }> {
  ensureBinary();
  const prefix = isRoot ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"] : [];
  const proc = Bun.spawn([...prefix, BINARY, "run", "--admin-port", "0"], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: "/tmp", NO_COLOR: "1" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 30_000);
  const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, stderr };
}

/** A project whose store exists (one job enqueued), readable and traversable by anyone. */
async function projectWithStore(): Promise<Project> {
  const p = makeProject("qw-ro-");
  expect((await qw(["enqueue", "noop"], { cwd: p.dir })).code).toBe(0);
  chmodSync(p.dir, 0o755);
  for (const sub of ["jobs", "out"]) chmodSync(join(p.dir, sub), 0o755);
  return p;
}

describe("e2e: a SQLite store that cannot be written stops run with exit 3", () => {
  test("a read-only file (mode 0444): exit 3 naming the path and 'read-only file'", async () => {
    project = await projectWithStore();
    chmodSync(join(project.dir, "data"), 0o777);
    chmodSync(project.db, 0o444);
    const r = await runAsUser(project.dir);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(project.db);
    expect(r.stderr).toContain("read-only file (mode 0444)");
    expect(r.stderr).not.toContain("qworker ready");
  });

  test("a folder the user may not write (SQLite needs its -wal and -shm beside the file): exit 3 naming the user", async () => {
    project = await projectWithStore();
    chmodSync(join(project.dir, "data"), 0o755);
    chmodSync(project.db, 0o666);
    const r = await runAsUser(project.dir);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(project.db);
    expect(r.stderr).toContain(`permission denied for user ${isRoot ? "nobody" : process.env.USER ?? ""}`);
  });

  test.skipIf(!isRoot && skipBecause("mounting a file system needs root"))("a read-only mount: exit 3 naming 'read-only file system'", async () => {
    project = makeProject("qw-ro-");
    const data = join(project.dir, "data");
    mkdirSync(data, { recursive: true });
    expect(Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", data]).exitCode).toBe(0);
    expect((await qw(["enqueue", "noop"], { cwd: project.dir })).code).toBe(0);
    expect(Bun.spawnSync(["mount", "-o", "remount,ro", data]).exitCode).toBe(0);
    const r = await qw(["run", "--admin-port", "0"], { cwd: project.dir, timeoutMs: 30_000 });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(project.db);
    expect(r.stderr).toContain("read-only file system");
  });

  test("status on a path where no store exists says so (exit 3) and creates nothing", async () => {
    project = makeProject("qw-ro-");
    const typo = join(project.dir, "dtaa", "qworker.db");
    const r = await qw(["status", "--db", typo], { cwd: project.dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`no store at ${typo}`);
    expect(existsSync(join(project.dir, "dtaa"))).toBe(false);
  });
});
