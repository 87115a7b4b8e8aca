/**
 * Drives the built `dist/qworker` binary in end-to-end tests: a throw-away
 * project folder with test jobs, one-shot commands, and long-running
 * servers whose log lines tests await (never fixed sleeps).
 */

import { spawn, spawnSync, type Subprocess } from "bun";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "../..");
export const BINARY = join(ROOT, "dist", "qworker");

let checked = false;

/**
 * Builds dist/qworker when it is missing or older than what it is built
 * from, so `bun test test/e2e/x.test.ts` after an edit never tests an old
 * binary. Checked once per process (`npm test` has just built it anyway).
 */
export function ensureBinary(): string {
  if (!checked) {
    checked = true;
    if (binaryIsStale(ROOT)) {
      const r = spawnSync([process.execPath, "build.ts"], { cwd: ROOT, stdout: "inherit", stderr: "inherit" });
      if (r.exitCode !== 0) throw new Error("building dist/qworker failed");
    }
  }
  return BINARY;
}

/** True when the binary is missing (undefined) or any source is newer than it. */
export function isStale(binaryMtimeMs: number | undefined, sourceMtimesMs: Iterable<number>): boolean {
  if (binaryMtimeMs === undefined) return true;
  for (const m of sourceMtimesMs) if (m > binaryMtimeMs) return true;
  return false;
}

/** What dist/qworker is built from: every file under src/ (recursively), build.ts and package.json. */
export function buildInputs(root: string): string[] {
  const src = join(root, "src");
  const files = (readdirSync(src, { recursive: true }) as string[]).map((f) => join(src, f));
  return [...files, join(root, "build.ts"), join(root, "package.json")].filter((f) => existsSync(f) && statSync(f).isFile());
}

export function binaryIsStale(root: string): boolean {
  const binary = join(root, "dist", "qworker");
  const binaryMtime = existsSync(binary) ? statSync(binary).mtimeMs : undefined;
  return isStale(binaryMtime, buildInputs(root).map((f) => statSync(f).mtimeMs));
}

export interface Project {
  dir: string;
  jobs: string;
  db: string;
  out: string;
  cleanup(): void;
}

/** A temp folder with test/fixtures/jobs copied to jobs/, a data dir and an output dir. */
export function makeProject(prefix = "qw-e2e-"): Project {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const jobs = join(dir, "jobs");
  cpSync(join(ROOT, "test/fixtures/jobs"), jobs, { recursive: true });
  const out = join(dir, "out");
  mkdirSync(out);
  return { dir, jobs, db: join(dir, "data", "qworker.db"), out, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

// Logs are JSON lines by default when stderr is a pipe; these tests read the key=value
// lines a person sees (a test passes QWORKER_LOG_FORMAT: "" to get the default back).
const BASE_ENV = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", NO_COLOR: "1", QWORKER_LOG_FORMAT: "pretty" };

export async function qw(args: string[], opts: { cwd: string; env?: Record<string, string>; stdin?: string; timeoutMs?: number; binary?: string }): Promise<CliResult> {
  if (args[0] === "run") assertFreeAdminPort(args.slice(1), opts.env);
  const proc = spawn([opts.binary ?? ensureBinary(), ...args], {
    cwd: opts.cwd,
    env: { ...BASE_ENV, ...opts.env },
    stdin: opts.stdin !== undefined ? new Blob([opts.stdin]) : "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

export class Server {
  private lines: string[] = [];
  private waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  readonly exited: Promise<number>;

  constructor(readonly proc: Subprocess<"ignore", "pipe", "pipe">) {
    void this.pump(proc.stdout);
    void this.pump(proc.stderr);
    this.exited = proc.exited;
  }

  /** Resolves with the first log line (past or future) matching `re`. */
  waitForLine(re: RegExp, timeoutMs = 30_000): Promise<string> {
    const seen = this.lines.find((l) => re.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no log line matching ${re} within ${timeoutMs} ms; log:\n${this.log()}`)), timeoutMs);
      this.waiters.push({ re, resolve: (l) => (clearTimeout(timer), resolve(l)) });
    });
  }

  log(): string {
    return this.lines.join("\n");
  }

  /** The admin URL from the "qworker ready" line. */
  async adminUrl(): Promise<string> {
    const line = await this.waitForLine(/qworker ready/);
    const m = /admin=(\S+)/.exec(line);
    if (!m) throw new Error(`no admin URL in: ${line}`);
    return m[1];
  }

  kill(signal: NodeJS.Signals = "SIGTERM"): void {
    this.proc.kill(signal);
  }

  private async pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buf = "";
    const reader = stream.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        this.lines.push(line);
        for (const w of [...this.waiters]) {
          if (w.re.test(line)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve(line);
          }
        }
      }
    }
  }
}

export function startServer(args: string[], opts: { cwd: string; env?: Record<string, string> }): Server {
  assertFreeAdminPort(args, opts.env);
  const proc = spawn([ensureBinary(), "run", ...args], {
    cwd: opts.cwd,
    env: { ...BASE_ENV, ...opts.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  return new Server(proc);
}

/**
 * Tests never bind a fixed port: one that takes 7420 collides with a
 * developer's `npm start` and with other test runs on the machine. A `run`
 * that serves the admin API (role all or api, or any role given a port) must
 * ask for port 0 and read the real one back with `Server.adminUrl()`, or
 * pass a port the test just found free (`freePort()`), for a test that must
 * know it before the server is up.
 */
export function assertFreeAdminPort(runArgs: string[], env: Record<string, string> = {}): void {
  const role = flagValue(runArgs, "--role") ?? env.QWORKER_ROLE ?? "all";
  const port = flagValue(runArgs, "--admin-port") ?? env.QWORKER_ADMIN_PORT;
  if (port === undefined ? role === "all" || role === "api" : port !== "0" && !pickedFree.has(Number(port))) {
    throw new Error(`qworker run ${runArgs.join(" ")}: pass --admin-port 0 (tests must not bind ${port ?? "the default admin port 7420"}); read the port back from Server.adminUrl()`);
  }
}

const pickedFree = new Set<number>();

/** A port that is free right now (the OS picked it), for a test that must know the admin port before the server binds it. */
export function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  pickedFree.add(port);
  return port;
}

function flagValue(args: string[], flag: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === flag) return args[i + 1];
    if (args[i].startsWith(`${flag}=`)) return args[i].slice(flag.length + 1);
  }
  return undefined;
}
