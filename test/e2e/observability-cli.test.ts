/**
 * The live CLI against the built binary: `status` tables with counts and
 * rates, `status --watch` redrawing in place on a terminal (under
 * `script`, which gives it a pseudo-terminal) and printing plain repeated
 * blocks into a pipe, `enqueue --wait` with a live bar on a terminal,
 * `queues retry-failed`, the server's pretty log carrying a failed job's
 * stack, and `info` keeping URL passwords to itself.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn } from "bun";
import { ensureBinary, makeProject, qw, startServer, type Project, type Server } from "../helpers/qworker-binary.ts";
import { waitFor, within } from "../helpers/wait.ts";

const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;

/** Runs `args` (optionally on a pseudo-terminal via `script`) until its output satisfies `done`, then stops it. */
async function runUntil(args: string[], cwd: string, done: (out: string) => boolean, opts: { tty?: boolean; timeoutMs?: number } = {}): Promise<string> {
  const cmd = opts.tty ? ["script", "-q", "-f", "-e", "-c", [ensureBinary(), ...args].map((a) => `'${a}'`).join(" "), "/dev/null"] : [ensureBinary(), ...args];
  const proc = spawn(cmd, { cwd, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", NO_COLOR: "1", TERM: "xterm" }, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  let out = "";
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  try {
    await within(
      (async () => {
        while (!done(out)) {
          const { value, done: eof } = await reader.read();
          if (eof) break;
          out += decoder.decode(value, { stream: true });
        }
      })(),
      opts.timeoutMs ?? 20_000,
      `qworker ${args.join(" ")} to print what the test waits for; got:\n${out}`,
    );
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
  }
  return out;
}

describe("e2e: the live CLI", () => {
  let project: Project;
  let server: Server;

  beforeAll(async () => {
    project = makeProject();
    server = startServer(["--admin-port", "0", "--concurrency", "4"], { cwd: project.dir, env: { QW_TEST_OUT: project.out } });
    await server.adminUrl();
    for (let i = 0; i < 3; i++) await qw(["enqueue", "noop", "--wait"], { cwd: project.dir });
    await qw(["enqueue", "always-fails", "--wait"], { cwd: project.dir });
    await qw(["enqueue", "always-fails", "--wait"], { cwd: project.dir });
  });

  afterAll(async () => {
    server.kill("SIGKILL");
    await within(server.exited, 10_000, "the killed server to exit");
    project.cleanup();
  });

  test("status: aligned tables with counts per state and rates from the workers' counts", async () => {
    // The worker publishes its counts with its heartbeat (every 2 s).
    await waitFor(async () => {
      const r = await qw(["status", "--json"], { cwd: project.dir });
      const t = JSON.parse(r.stdout).throughput.queues.find((q: { queue: string }) => q.queue === "default");
      return t && t.completed.reduce((a: number, b: number) => a + b, 0) >= 3 && t.failed.reduce((a: number, b: number) => a + b, 0) >= 4;
    }, { timeoutMs: 15_000, what: "the worker's published counts" });
    const r = await qw(["status"], { cwd: project.dir });
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    const header = lines.find((l) => l.startsWith("QUEUE"))!;
    expect(header).toMatch(/QUEUE +WAITING +DELAYED +ACTIVE +COMPLETED +FAILED +CANCELLED +PAUSED +DONE\/MIN +FAILED\/MIN +DONE 1H +FAILED 1H/);
    const row = lines.find((l) => l.startsWith("default"))!;
    // Right-aligned numbers end under the end of their header.
    expect(row.length).toBe(header.length);
    const cells = row.split(/ +/);
    expect(cells.slice(0, 8)).toEqual(["default", "0", "0", "0", "3", "2", "0", "no"]);
    expect(Number(cells[8])).toBeGreaterThan(0);
    expect(cells.slice(10)).toEqual(["3", "4"]);
    expect(r.stdout).toMatch(/WORKER +STATE +ROLE +MODE/);
    expect(r.stdout).toMatch(/ live +all +async /);
  });

  test("status --watch into a pipe: repeated plain blocks, each headed by its time, no escape codes", async () => {
    const out = await runUntil(["status", "--watch", "--interval", "0.3"], project.dir, (o) => (o.match(/^--- /gm) ?? []).length >= 3);
    const blocks = out.split(/^--- /m).filter(Boolean);
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const b of blocks.slice(0, 3)) {
      expect(b).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC · every 0\.3s/);
      expect(b).toContain("QUEUE");
    }
    expect(out).not.toMatch(RAW_CONTROL);
  });

  test("status --watch on a terminal: redraws in place (cursor home, lines cleared), no scrolling blocks", async () => {
    const out = await runUntil(["status", "--watch", "--interval", "0.3"], project.dir, (o) => (o.match(/\x1b\[H/g) ?? []).length >= 3, { tty: true });
    expect(out).toContain("\x1b[?25l"); // cursor hidden while drawing
    expect((out.match(/\x1b\[H/g) ?? []).length).toBeGreaterThanOrEqual(3);
    expect(out).toContain("\x1b[K");
    expect(out).not.toMatch(/^--- /m);
    expect(out).toContain("QUEUE");
  });

  test("enqueue --wait on a terminal draws one live line with a bar; in a pipe, plain lines", async () => {
    const tty = await runUntil(["enqueue", "progress", "--data", '{"steps":4,"stepMs":150}', "--wait"], project.dir, (o) => o.includes("completed\r\n") || /\d+ completed/.test(o), { tty: true });
    expect(tty).toContain("\r\x1b[2K");
    expect(tty).toContain("100%");
    const piped = await qw(["enqueue", "progress", "--data", '{"steps":4,"stepMs":150}', "--wait"], { cwd: project.dir });
    expect(piped.code).toBe(0);
    expect(piped.stderr).not.toMatch(/[\r\x1b]/);
    expect(piped.stderr.trimEnd().split("\n").length).toBeGreaterThanOrEqual(2);
    expect(piped.stderr).toMatch(/progress \d+ completed +\[#{30}\] 100%/);
  });

  test("queues retry-failed sends every failed job of a queue back; queues lists them with rates", async () => {
    const r = await qw(["queues", "retry-failed", "default"], { cwd: project.dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("2 failed job(s) of default back to waiting\n");
    const list = await qw(["queues"], { cwd: project.dir });
    expect(list.stdout).toMatch(/^QUEUE +WAITING/);
    const again = await qw(["queues", "retry-failed", "nope"], { cwd: project.dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('no queue named "nope"');
    expect((await qw(["queues", "pause"], { cwd: project.dir })).code).toBe(2);
  });

  test("the server's pretty log shows a failed job's stack under its line", async () => {
    const log = server.log();
    const i = log.search(/ERROR job failed job=/);
    expect(i).toBeGreaterThan(0);
    const after = log.slice(i).split("\n");
    expect(after[0]).toMatch(/job=always-fails id=\d+ queue=default attempt=2 .*error="Error: broken on try 2"/);
    expect(after[1]).toMatch(/^ {6}at .*always-fails\.ts/);
  });

  test("info prints the config without the redis password or the admin token", async () => {
    const r = await qw(["info"], { cwd: project.dir, env: { QWORKER_REDIS_URL: "redis://default:hunter2-secret@redis.internal:6379/0", QWORKER_ADMIN_TOKEN: "token-0123456789abcdef" } });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("hunter2-secret");
    expect(r.stdout).not.toContain("token-0123456789abcdef");
    expect(JSON.parse(r.stdout).config.store.redisUrl).toBe("redis://default:***@redis.internal:6379/0");
  });
});
